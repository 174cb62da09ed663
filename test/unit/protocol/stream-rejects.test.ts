/** Every class of malformed input gets a ProtocolError with a stable code and QEMU's wording. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode, ProtocolError } from '../../../src/errors.js';
import { StreamDecoder } from '../../../src/protocol/stream-decoder.js';
import { decodeStream } from '../../../src/protocol/decode-stream.js';
import { hex } from '../helpers/hex.js';
import { sampleStream } from '../helpers/sample-stream.js';

const HEADER = '5145564d 00000003';
const CONFIG = '07 00000004 6e6f6e65';
const RAM_START = '01 00000002 03 72616d 00000000 00000004';
/** 64 KiB block "ram". */
const RAM_LIST = '0000000000010004 03 72616d 0000000000010000';
const EOS = '0000000000000010';

function rejects(
  bytes: string | Uint8Array,
  code: string,
  message: string | RegExp,
  offset?: number,
): void {
  const input = typeof bytes === 'string' ? hex(bytes) : bytes;
  assert.throws(
    () => decodeStream(input),
    (e: unknown) => {
      assert.ok(e instanceof ProtocolError, `not a ProtocolError: ${String(e)}`);
      assert.equal(e.code, code);
      if (typeof message === 'string') assert.equal(e.message, message);
      else assert.match(e.message, message);
      if (offset !== undefined) assert.equal(e.offset, offset);
      return true;
    },
  );
}

const ram = (records: string, trailer = EOS + '7e00000002 00'): string =>
  HEADER + CONFIG + RAM_START + RAM_LIST + EOS + '7e00000002' + '02 00000002' + records + trailer;

test('bad magic and versions', () => {
  rejects('51454d56 00000003', ErrorCode.PROTOCOL_MAGIC, 'Not a migration stream', 0);
  rejects(
    '5145564d 00000002',
    ErrorCode.PROTOCOL_VERSION,
    "SaveVM v2 format is obsolete and don't work anymore",
  );
  rejects('5145564d 00000004', ErrorCode.PROTOCOL_VERSION, 'Unsupported migration stream version');
});

test('configuration: missing, oversized name, unknown or too-new subsection', () => {
  rejects(HEADER + '00', ErrorCode.PROTOCOL_CONFIGURATION, 'Configuration section missing', 8);
  rejects(HEADER + '07 7fffffff', ErrorCode.PROTOCOL_LIMIT, /over the limit/, 9);
  rejects(
    HEADER + CONFIG + '05 0f 636f6e66696775726174696f6e2f78 00000001 00',
    ErrorCode.PROTOCOL_CONFIGURATION,
    "Unknown subsection 'configuration/x' in the configuration section",
  );
  rejects(
    HEADER + CONFIG + '05 12 636f6e66696775726174696f6e2f75756964 00000002',
    ErrorCode.PROTOCOL_CONFIGURATION,
    'configuration/uuid: incoming version_id 2 is too new for local version_id 1',
  );
  rejects(
    HEADER +
      CONFIG +
      '05 1a 636f6e66696775726174696f6e2f6361706162696c6974696573 00000001 ffffffff',
    ErrorCode.PROTOCOL_LIMIT,
    /Capability count 4294967295/,
  );
});

test('unknown top-level record types, including a stray subsection or footer', () => {
  for (const t of [0x05, 0x06, 0x07, 0x09, 0x7e, 0xff]) {
    const type = t.toString(16).padStart(2, '0');
    // After a command, so the configuration's subsection peek is not involved.
    rejects(
      HEADER + CONFIG + '08 0001 0000' + type,
      ErrorCode.PROTOCOL_UNKNOWN_TYPE,
      `Unknown savevm section type ${t}`,
      22,
    );
  }
  // A subsection that is not the configuration's ends it; the main loop then refuses it.
  rejects(
    HEADER + CONFIG + '05 03 666f6f 00000001',
    ErrorCode.PROTOCOL_UNKNOWN_TYPE,
    'Unknown savevm section type 5',
    17,
  );
});

test('commands: unknown ids and bad lengths', () => {
  rejects(
    HEADER + CONFIG + '08 0000 0000',
    ErrorCode.PROTOCOL_UNKNOWN_TYPE,
    'MIG_CMD 0x0 unknown (len 0x0)',
  );
  rejects(
    HEADER + CONFIG + '08 000c 0002 0000',
    ErrorCode.PROTOCOL_UNKNOWN_TYPE,
    'MIG_CMD 0xc unknown (len 0x2)',
  );
  rejects(
    HEADER + CONFIG + '08 0002 0002 0000',
    ErrorCode.PROTOCOL_BAD_LENGTH,
    'PING received with bad length - expecting 4, got 2',
  );
  rejects(
    HEADER + CONFIG + '08 0001 0001 00',
    ErrorCode.PROTOCOL_BAD_LENGTH,
    'OPEN_RETURN_PATH received with bad length - expecting 0, got 1',
  );
  rejects(
    HEADER + CONFIG + '08 0003 0008 0000000000000000',
    ErrorCode.PROTOCOL_BAD_LENGTH,
    'CMD_POSTCOPY_ADVISE invalid length (8)',
  );
  rejects(
    HEADER + CONFIG + '08 0007 0004 ffffffff',
    ErrorCode.PROTOCOL_LIMIT,
    'Unreasonably large packaged state: 4294967295',
  );
  rejects(
    HEADER + CONFIG + '08 0006 0004 00000000',
    ErrorCode.PROTOCOL_BAD_LENGTH,
    'CMD_POSTCOPY_RAM_DISCARD invalid length (4)',
  );
  rejects(
    HEADER + CONFIG + '08 0006 0014 01 00 00 00' + '00'.repeat(16),
    ErrorCode.PROTOCOL_VERSION,
    'CMD_POSTCOPY_RAM_DISCARD invalid version (1)',
  );
  rejects(
    HEADER + CONFIG + '08 000a 0003 06 7063',
    ErrorCode.PROTOCOL_BAD_LENGTH,
    'loadvm_handle_recv_bitmap: invalid payload length (3)',
  );
});

test('sections: unknown id, footer missing or mismatched, RAM version', () => {
  rejects(HEADER + CONFIG + '02 00000009', ErrorCode.PROTOCOL_SECTION, 'Unknown savevm section 9');
  rejects(
    HEADER + CONFIG + RAM_START + RAM_LIST + EOS + '00',
    ErrorCode.PROTOCOL_FOOTER,
    'Missing section footer for ram',
  );
  rejects(
    HEADER + CONFIG + RAM_START + RAM_LIST + EOS + '7e00000003',
    ErrorCode.PROTOCOL_FOOTER,
    'Mismatched section id in footer for ram - read 0x3 expected 0x2',
  );
  rejects(
    HEADER + CONFIG + '01 00000002 03 72616d 00000000 00000003',
    ErrorCode.PROTOCOL_SECTION,
    "savevm: unsupported version 3 for 'ram' v4",
  );
  const unknown = new StreamDecoder({ onRecord: () => {}, resolveSection: () => undefined });
  assert.throws(
    () => unknown.push(hex(HEADER + CONFIG + '04 00000001 03 666f6f 00000000 00000001')),
    {
      code: ErrorCode.PROTOCOL_SECTION,
      message:
        "Unknown savevm section or instance 'foo' 0. Make sure that your current VM setup matches your saved VM setup, including any hotplugged devices",
    },
  );
});

test('RAM records: QEMU loader errors', () => {
  rejects(ram('0000000000000022 00'), ErrorCode.PROTOCOL_RAM, 'Ack, bad migration stream!');
  rejects(ram('0000000000000002 03 666f6f 00'), ErrorCode.PROTOCOL_RAM, "Can't find block foo");
  rejects(ram('0000000000010002 03 72616d 00'), ErrorCode.PROTOCOL_RAM, 'Illegal RAM offset 10000');
  rejects(
    ram('0000000000000002 03 72616d 05'),
    ErrorCode.PROTOCOL_RAM,
    'Found a zero page with value 5',
  );
  rejects(
    ram('000000000000000a 03 72616d'),
    ErrorCode.PROTOCOL_RAM,
    'Unknown combination of migration flags: 0xa',
  );
  rejects(
    ram('0000000000000001'),
    ErrorCode.PROTOCOL_RAM,
    'Unknown combination of migration flags: 0x1',
  );
  rejects(
    ram('0000000000000100'),
    ErrorCode.PROTOCOL_RAM,
    'Received an unexpected compressed page',
  );
  rejects(
    ram('0000000000000040 03 72616d 02 0004'),
    ErrorCode.PROTOCOL_XBZRLE,
    'Failed to load XBZRLE page - wrong compression!',
  );
  rejects(
    ram('0000000000000040 03 72616d 01 1001'),
    ErrorCode.PROTOCOL_XBZRLE,
    'Failed to load XBZRLE page - len overflow!',
  );
  rejects(
    HEADER + CONFIG + RAM_START + '0000000000010004 03 72616d 0000000000020000',
    ErrorCode.PROTOCOL_RAM,
    /exceeds the announced total/,
  );
  rejects(
    HEADER + CONFIG + RAM_START + 'ffff000000000004',
    ErrorCode.PROTOCOL_LIMIT,
    /over the limit/,
  );
});

test('after EOF: vmdesc type, size limit, JSON, trailing bytes', () => {
  rejects(
    HEADER + CONFIG + '00 01',
    ErrorCode.PROTOCOL_UNKNOWN_TYPE,
    'Expected vmdescription section, but got 1',
  );
  rejects(
    HEADER + CONFIG + '00 06 7fffffff',
    ErrorCode.PROTOCOL_LIMIT,
    /vmdesc of 2147483647 bytes/,
  );
  rejects(
    HEADER + CONFIG + '00 06 00000001 7b',
    ErrorCode.PROTOCOL_VMDESC,
    'vmdesc is not valid JSON',
  );
  rejects(
    HEADER + CONFIG + '00 06 00000002 7b7d 00',
    ErrorCode.PROTOCOL_UNKNOWN_TYPE,
    'Unexpected data after the end of the migration stream',
  );
});

test('an opaque section without a footer in reach is refused at the limit', () => {
  const d = new StreamDecoder({ onRecord: () => {}, limits: { maxDeviceSection: 64 } });
  d.push(hex(HEADER + CONFIG + '04 00000001 03 666f6f 00000000 00000001'));
  assert.throws(() => d.push(new Uint8Array(100)), { code: ErrorCode.PROTOCOL_LIMIT });
  const noFooters = new StreamDecoder({ onRecord: () => {}, sectionFooters: false });
  assert.throws(
    () => noFooters.push(hex(HEADER + CONFIG + '04 00000001 03 666f6f 00000000 00000001')),
    {
      code: ErrorCode.PROTOCOL_SECTION,
    },
  );
});

test('a decoder that failed keeps failing with the same error', () => {
  const d = new StreamDecoder({ onRecord: () => {} });
  assert.throws(() => d.push(hex('00000000')), { code: ErrorCode.PROTOCOL_MAGIC });
  assert.throws(() => d.push(hex(HEADER)), { code: ErrorCode.PROTOCOL_MAGIC });
  assert.throws(() => d.end(), { code: ErrorCode.PROTOCOL_MAGIC });
});

test('truncation at every offset ends in one TRUNCATED error naming the offset', () => {
  const bytes = sampleStream();
  // The stream may legitimately end right after EOF (no vmdesc) or at its very end.
  const eofAt = bytes.length - (5 + '{"page_size":4096,"devices":[]}'.length);
  for (let cut = 0; cut < bytes.length; cut++) {
    const d = new StreamDecoder({ onRecord: () => {} });
    d.push(bytes.subarray(0, cut));
    if (cut === eofAt) {
      d.end();
      continue;
    }
    assert.throws(
      () => d.end(),
      (e: unknown) =>
        e instanceof ProtocolError &&
        e.code === ErrorCode.PROTOCOL_TRUNCATED &&
        e.offset === cut &&
        e.message.startsWith('Truncated stream: expected '),
      `cut at ${cut}`,
    );
  }
});
