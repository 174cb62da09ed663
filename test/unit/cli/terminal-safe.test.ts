import assert from 'node:assert/strict';
import test from 'node:test';
import { terminalSafe, terminalSafeLine } from '../../../src/cli/terminal-safe.js';

test('terminalSafe escapes C0 and C1 controls, keeps tab, newline and printable text', () => {
  assert.equal(terminalSafe('plain ascii, ümlaut ÿ'), 'plain ascii, ümlaut ÿ');
  assert.equal(terminalSafe('a\tb\nc'), 'a\tb\nc');
  assert.equal(terminalSafe('\x1b[2J\x00\r\x7f\x9b'), '\\x1b[2J\\x00\\x0d\\x7f\\x9b');
  assert.equal(terminalSafe("Can't find block \xffc.ram\x01"), "Can't find block \xffc.ram\\x01");
});

test('terminalSafeLine also escapes newline and tab: one message stays one line', () => {
  assert.equal(
    terminalSafeLine("Machine type received is 'x\nlivemig run: migration completed\t'"),
    "Machine type received is 'x\\x0alivemig run: migration completed\\x09'",
  );
  assert.equal(terminalSafeLine('\x1b\x9b ok'), '\\x1b\\x9b ok');
});
