/**
 * The VMDESCRIPTION document QEMU appends after EOF (§1.8):
 * {"page_size": N, "devices": [{"name", "instance_id", "vmsd_name", "version",
 * "fields", ["subsections"]}, ...]}. Device entries are filled in by the encoder
 * while it writes each FULL section, so sizes are the bytes actually sent.
 */
import type { ByteWriter } from '../bytes.js';
import { encodeVMState } from './encode.js';
import { type JsonStyle, VmdescWriter } from './json-writer.js';
import type { VMStateDescription, VMStateValue } from './types.js';

export class VmdescDocument {
  readonly json: VmdescWriter;
  private done = false;

  /** QEMU 8.1 writes no "configuration" key, so neither does this. */
  constructor(pageSize: number, style: JsonStyle = 'qemu') {
    this.json = new VmdescWriter(style);
    this.json.startObject().int('page_size', pageSize).startArray('devices');
  }

  /**
   * Encodes one device's FULL-section payload into `w` and records its entry.
   * The section header and footer are the caller's.
   */
  addDevice(
    w: ByteWriter,
    idstr: string,
    instanceId: number,
    desc: VMStateDescription,
    value: VMStateValue,
  ): void {
    this.json.startObject().str('name', idstr).int('instance_id', instanceId);
    encodeVMState(w, desc, value, desc.versionId, this.json);
    this.json.endObject();
  }

  /** A device saved by a legacy save_state handler: its payload is one opaque buffer. */
  addLegacyDevice(idstr: string, instanceId: number, size: number): void {
    this.json.startObject().str('name', idstr).int('instance_id', instanceId).int('size', size);
    this.json.startArray('fields').startObject();
    this.json.str('name', 'data').int('size', size).str('type', 'buffer');
    this.json.endObject().endArray().endObject();
  }

  /** The finished JSON text. */
  finish(): string {
    if (!this.done) {
      this.json.endArray().endObject();
      this.done = true;
    }
    return this.json.toString();
  }
}
