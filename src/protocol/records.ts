/**
 * The typed records the incremental stream decoder yields. Every record carries
 * `offset`, the absolute byte offset of its first byte in the stream.
 *
 * Byte views (`data`) point into the decoder's input and are valid only until
 * the record callback returns: copy what you keep.
 */
import type { MigCommand } from './commands.js';
import type { Configuration } from './configuration.js';
import type { SectionKind } from './sections.js';

export interface SectionInfo {
  sectionId: number;
  idstr: string;
  instanceId: number;
  versionId: number;
}

export type StreamRecord =
  | { kind: 'header'; offset: number; version: number }
  | { kind: 'configuration'; offset: number; config: Configuration }
  | ({ kind: 'section'; offset: number; type: SectionKind } & SectionInfo)
  | { kind: 'footer'; offset: number; sectionId: number }
  | { kind: 'ram-mem-size'; offset: number; totalBytes: number }
  | {
      kind: 'ram-block';
      offset: number;
      idstr: string;
      usedLength: number;
      pageSize?: number;
      addr?: number;
    }
  | { kind: 'ram-zero'; offset: number; block: string; addr: number }
  | { kind: 'ram-page'; offset: number; block: string; addr: number; data: Uint8Array }
  | { kind: 'ram-xbzrle'; offset: number; block: string; addr: number; data: Uint8Array }
  | { kind: 'ram-multifd-flush'; offset: number }
  | { kind: 'ram-eos'; offset: number }
  /** A device payload decoded by the format its section resolved to. */
  | { kind: 'device-state'; offset: number; section: SectionInfo; value: unknown }
  /** A device payload the decoder could only delimit (by its footer), not decode. */
  | { kind: 'device-bytes'; offset: number; section: SectionInfo; data: Uint8Array }
  | { kind: 'command'; offset: number; command: MigCommand }
  | { kind: 'eof'; offset: number }
  | { kind: 'vmdesc'; offset: number; json: string; value: unknown };

export type StreamRecordKind = StreamRecord['kind'];
