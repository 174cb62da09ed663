/**
 * Typed VMState descriptions, modelled on QEMU's VMStateDescription. A description
 * says which fields a device's FULL-section payload holds and in which order; the
 * encoder, decoder and vmdesc writer all walk the same description, so they cannot
 * disagree about the layout.
 *
 * Values are plain objects. As in QEMU, a subsection describes more fields of the
 * same object (QEMU passes the same opaque pointer), so its fields sit next to the
 * parent's fields rather than under a nested key.
 */

/** A device's state: field name → value. */
export type VMStateValue = Record<string, unknown>;

/** Fixed-width integers, named by their QEMU VMStateInfo name. 64-bit ones are bigint. */
export type IntKind =
  'int8' | 'int16' | 'int32' | 'int64' | 'uint8' | 'uint16' | 'uint32' | 'uint64';

/** Integers that must equal the loading side's own value ("%x != %x" otherwise). */
export type EqualKind =
  | 'int32 equal'
  | 'uint32 equal'
  | 'uint8 equal'
  | 'uint16 equal'
  /** QEMU names its unsigned 64-bit equal check "int64 equal"; the value is a u64 bigint. */
  | 'int64 equal';

/** Elements whose wire size does not depend on the value. */
export type ScalarKind =
  | IntKind
  | EqualKind
  | 'bool'
  | 'float64'
  /** be64 expiry in ns, -1n when the timer is not armed. */
  | 'timer'
  /** The single byte '0' QEMU writes for a NULL entry in an array of pointers; value null. */
  | 'nullptr';

interface ElemBase {
  /** Overrides the "type" written to the vmdesc (e.g. "CPU_Double_U" for a float64). */
  readonly typeName?: string;
}

/** What one element of a field is. A field is one element or an array of them. */
export type Elem =
  | (ElemBase & { readonly kind: ScalarKind })
  /** Fixed-size raw bytes (value: Uint8Array). */
  | (ElemBase & { readonly kind: 'buffer'; readonly size: number })
  /** Bytes sent as zeros and skipped on load; no value is kept. */
  | (ElemBase & { readonly kind: 'unused_buffer'; readonly size: number })
  /** Raw bytes whose length is the value of an earlier field (times `multiply`). */
  | (ElemBase & { readonly kind: 'vbuffer'; readonly sizeFrom: string; readonly multiply: number })
  /** ceil(nbits/64) be64 words (value: bigint[]); nbits fixed or taken from an earlier field. */
  | (ElemBase & { readonly kind: 'bitmap'; readonly nbits: number | string })
  /** u8 length + name (the configuration section's capability list); value: string. */
  | (ElemBase & { readonly kind: 'capability' })
  /**
   * A nested description inlined with its subsections. `vstructVersion` makes it a
   * VMS_VSTRUCT: saved and loaded at that version instead of the nested latest.
   */
  | (ElemBase & {
      readonly kind: 'struct';
      readonly desc: VMStateDescription;
      readonly vstructVersion?: number;
    })
  /** Bytes of a type this implementation does not interpret (vmdesc inspection). */
  | (ElemBase & { readonly kind: 'raw'; readonly size: number; readonly typeName: string });

export interface VMStateField {
  readonly name: string;
  readonly elem: Elem;
  /**
   * Absent: a single element. A number: a fixed-length array. A string: an array
   * whose length is the value of that earlier field (VMS_VARRAY_*).
   */
  readonly count?: number | string;
  /**
   * An array whose elements differ in shape (only built from a vmdesc, where each
   * element of an array of structs lists the subsections it sent). Overrides `elem`
   * and `count`.
   */
  readonly elements?: readonly Elem[];
  /** The field is on the wire only at versions ≥ this (QEMU's field version_id). */
  readonly versionId: number;
  /** When present, the sole judge of whether the field is on the wire. */
  readonly fieldExists?: (value: VMStateValue, versionId: number) => boolean;
}

export interface VMStateDescription {
  readonly name: string;
  readonly versionId: number;
  readonly minimumVersionId: number;
  readonly fields: readonly VMStateField[];
  readonly subsections: readonly VMStateDescription[];
  /** For a subsection: sent only when this returns true (or when absent). */
  readonly needed?: (value: VMStateValue) => boolean;
  /** Runs before the fields are written; may fill derived fields (QEMU's pre_save). */
  readonly preSave?: (value: VMStateValue) => void;
  /** Runs after the fields and subsections are loaded (QEMU's post_load). */
  readonly postLoad?: (value: VMStateValue, versionId: number) => void;
}
