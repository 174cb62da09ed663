/**
 * Shared fixtures for the VMState tests: a description with every field kind, a
 * versioned field, a nested struct and a subsection, its value and golden bytes.
 * Named *.test.ts so the test build picks it up; it registers no tests itself.
 */
import {
  defineVMState,
  elem,
  field,
  type VMStateValue,
} from '../../../src/protocol/vmstate/index.js';

export const inner = defineVMState({
  name: 'inner',
  versionId: 1,
  fields: [field.uint16('a'), field.bool('b')],
});

export const extra = defineVMState({
  name: 'dev/extra',
  versionId: 3,
  needed: (v) => v.extra !== undefined,
  fields: [field.uint32('extra')],
});

/** Every field kind, a versioned field, a nested struct and a subsection. */
export const dev = defineVMState({
  name: 'dev',
  versionId: 2,
  minimumVersionId: 1,
  fields: [
    field.int8('i8'),
    field.int16('i16'),
    field.int32('i32'),
    field.int64('i64'),
    field.uint8('u8'),
    field.uint16('u16'),
    field.uint32('len'),
    field.uint64('u64'),
    field.bool('flag'),
    field.float64('f'),
    field.buffer('buf', 3),
    field.vbuffer('vbuf', 'len'),
    field.unused(2),
    field.timer('t'),
    field.bitmap('bm', 65),
    field.struct('inner', inner),
    field.array('regs', field.uint16, 2),
    field.uint8('n'),
    field.array('items', elem.struct(inner), 'n'),
    field.int32Equal('eq32'),
    field.uint32Equal('equ32'),
    field.uint8Equal('eq8'),
    field.uint16Equal('eq16'),
    field.int64Equal('eq64'),
    field.uint32('v2only', { versionId: 2 }),
  ],
  subsections: [extra],
});

export function devValue(): VMStateValue {
  return {
    i8: -2,
    i16: -3,
    i32: -4,
    i64: -5n,
    u8: 0xab,
    u16: 0x1234,
    len: 2,
    u64: 0x0102030405060708n,
    flag: true,
    f: 1.5,
    buf: new Uint8Array([1, 2, 3]),
    vbuf: new Uint8Array([0xaa, 0xbb]),
    t: -1n,
    bm: [1n, 1n],
    inner: { a: 0x0102, b: false },
    regs: [1, 2],
    n: 2,
    items: [
      { a: 3, b: true },
      { a: 4, b: false },
    ],
    eq32: -1,
    equ32: 7,
    eq8: 8,
    eq16: 9,
    eq64: 10n,
    v2only: 0xdeadbeef,
    extra: 0x11223344,
  };
}

export const DEV_GOLDEN = [
  'fe', // i8
  'fffd', // i16
  'fffffffc', // i32
  'fffffffffffffffb', // i64
  'ab', // u8
  '1234', // u16
  '00000002', // len
  '0102030405060708', // u64
  '01', // flag
  '3ff8000000000000', // f = 1.5
  '010203', // buf
  'aabb', // vbuf (len bytes)
  '0000', // unused
  'ffffffffffffffff', // timer not armed
  '0000000000000001 0000000000000001', // bitmap, 65 bits = 2 words
  '0102 00', // inner struct
  '0001 0002', // regs
  '02', // n
  '0003 01 0004 00', // items
  'ffffffff', // eq32
  '00000007', // equ32
  '08', // eq8
  '0009', // eq16
  '000000000000000a', // eq64
  'deadbeef', // v2only
  '05 09 6465762f6578747261 00000003 11223344', // subsection dev/extra v3
].join('');
