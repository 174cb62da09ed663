/**
 * Wire constants of QEMU's migration stream (QEMU 8.1, plus later additions that
 * do not conflict). Each tag is defined once here and given a name table, so
 * that decoders, encoders and error messages agree.
 */

export const QEMU_VM_FILE_MAGIC = 0x5145564d; // "QEVM"
export const QEMU_VM_FILE_VERSION_COMPAT = 0x00000002;
export const QEMU_VM_FILE_VERSION = 0x00000003;

/** First byte of each top-level record. */
export const SectionType = {
  EOF: 0x00,
  START: 0x01,
  PART: 0x02,
  END: 0x03,
  FULL: 0x04,
  SUBSECTION: 0x05,
  VMDESCRIPTION: 0x06,
  CONFIGURATION: 0x07,
  COMMAND: 0x08,
  FOOTER: 0x7e,
} as const;
export type SectionType = (typeof SectionType)[keyof typeof SectionType];

/** MIG_CMD_* sub-commands of a QEMU_VM_COMMAND record. */
export const MigCmd = {
  INVALID: 0,
  OPEN_RETURN_PATH: 1,
  PING: 2,
  POSTCOPY_ADVISE: 3,
  POSTCOPY_LISTEN: 4,
  POSTCOPY_RUN: 5,
  POSTCOPY_RAM_DISCARD: 6,
  PACKAGED: 7,
  ENABLE_COLO: 8,
  POSTCOPY_RESUME: 9,
  RECV_BITMAP: 10,
  SWITCHOVER_START: 11,
} as const;
export type MigCmd = (typeof MigCmd)[keyof typeof MigCmd];
/** One past the last command livemig knows (QEMU's MIG_CMD_MAX with SWITCHOVER_START). */
export const MIG_CMD_MAX = 12;

export const MIG_CMD_NAMES: readonly string[] = [
  'INVALID',
  'OPEN_RETURN_PATH',
  'PING',
  'POSTCOPY_ADVISE',
  'POSTCOPY_LISTEN',
  'POSTCOPY_RUN',
  'POSTCOPY_RAM_DISCARD',
  'PACKAGED',
  'ENABLE_COLO',
  'POSTCOPY_RESUME',
  'RECV_BITMAP',
  'SWITCHOVER_START',
];

/** Fixed payload lengths; -1 marks a variable-length command. */
export const MIG_CMD_LENGTHS: readonly number[] = [-1, 0, 4, -1, 0, 0, -1, 4, 0, 0, -1, 0];

/** RAM_SAVE_FLAG_* bits in the low bits of a RAM record's be64 address word. */
export const RamFlag = {
  FULL: 0x01,
  ZERO: 0x02,
  MEM_SIZE: 0x04,
  PAGE: 0x08,
  EOS: 0x10,
  CONTINUE: 0x20,
  XBZRLE: 0x40,
  HOOK: 0x80,
  COMPRESS_PAGE: 0x100,
  MULTIFD_FLUSH: 0x200,
} as const;

/** The ENCODING_FLAG_XBZRLE byte that follows an XBZRLE record's block id. */
export const ENCODING_FLAG_XBZRLE = 0x01;

/** Return-path message types (MIG_RP_MSG_*). */
export const RpMsg = {
  INVALID: 0,
  SHUT: 1,
  PONG: 2,
  REQ_PAGES_ID: 3,
  REQ_PAGES: 4,
  RECV_BITMAP: 5,
  RESUME_ACK: 6,
  SWITCHOVER_ACK: 7,
} as const;
export type RpMsg = (typeof RpMsg)[keyof typeof RpMsg];
export const MIG_RP_MSG_MAX = 8;

export const RP_MSG_NAMES: readonly string[] = [
  'INVALID',
  'SHUT',
  'PONG',
  'REQ_PAGES_ID',
  'REQ_PAGES',
  'RECV_BITMAP',
  'RESUME_ACK',
  'SWITCHOVER_ACK',
];

/** Fixed return-path payload lengths; -1 marks a variable-length message. */
export const RP_MSG_LENGTHS: readonly number[] = [-1, 4, 4, -1, 12, -1, 4, 0];

/** The value a RESUME_ACK must carry. */
export const MIGRATION_RESUME_ACK_VALUE = 1;
/** The end mark after a RECV_BITMAP bitmap on the return path. */
export const RAMBLOCK_RECV_BITMAP_ENDING = 0x0123456789abcdefn;
/** PING value that marks a loaded postcopy package (QEMU 10.2). */
export const QEMU_VM_PING_PACKAGED_LOADED = 0x42;

/** x86's target page: 4 KiB. */
export const TARGET_PAGE_BITS = 12;
export const TARGET_PAGE_SIZE = 1 << TARGET_PAGE_BITS;
