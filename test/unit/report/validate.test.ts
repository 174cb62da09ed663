/** Reading run records back from JSON: the fixtures pass, bad records fail with a path. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderReport } from '../../../src/report/render.js';
import { parseRunRecord, parseRunRecords, RunRecordError } from '../../../src/report/validate.js';
import { ACK_FIXTURE, NO_ACK_FIXTURE, embeddedRuns, failedRun, fixtureJson } from './fixtures.js';

type Json = Record<string, unknown>;

/** The fixture with one change applied, as raw JSON. */
function mutated(change: (j: Json) => void): unknown {
  const j = fixtureJson(ACK_FIXTURE) as Json;
  change(j);
  return j;
}

function rejects(value: unknown, message: RegExp): void {
  assert.throws(
    () => parseRunRecord(value),
    (e: unknown) => e instanceof RunRecordError && message.test(e.message),
  );
}

test('the fixtures are valid records and look like the runs they stand for', () => {
  const ack = parseRunRecord(fixtureJson(ACK_FIXTURE));
  const noAck = parseRunRecord(fixtureJson(NO_ACK_FIXTURE));
  for (const r of [ack, noAck]) {
    assert.equal(r.setup.ramBytes, 256 << 20);
    assert.equal(r.setup.initdataBytes, 256 << 20);
    assert.equal(r.setup.workload, 'ab');
    assert.ok(r.samples.length >= 25 && r.samples.length <= 40);
    for (const kind of ['pass', 'stop', 'resume'] as const) {
      assert.ok(
        r.events.some((e) => e.kind === kind),
        kind,
      );
    }
    assert.deepEqual(
      r.downtime.parts.map((p) => p.name),
      ['final RAM', 'device state', 'load and preparation', 'start'],
    );
  }
  assert.deepEqual(
    ack.downtime.parts.map((p) => p.ms),
    [9, 2, 4, 1],
  );
  assert.deepEqual(
    noAck.downtime.parts.map((p) => p.ms),
    [9, 2, 1400, 1],
  );
  assert.ok(ack.events.some((e) => e.kind === 'ack'));
  assert.ok(!noAck.events.some((e) => e.kind === 'ack'));
  assert.equal(ack.setup.capabilities['switchover-ack'], true);
  assert.equal(noAck.setup.capabilities['switchover-ack'], false);
});

test('round trip: fixture JSON → record → page → embedded JSON is the same record', () => {
  const raw = [fixtureJson(ACK_FIXTURE), fixtureJson(NO_ACK_FIXTURE)];
  const runs = parseRunRecords(raw);
  const html = renderReport(runs);
  assert.deepEqual(embeddedRuns(html), raw);
  assert.deepEqual(parseRunRecords(embeddedRuns(html)), runs);
});

test('a record saved by JSON.stringify (undefined members dropped) reads back with undefined', () => {
  const failed = failedRun();
  const back = parseRunRecord(JSON.parse(JSON.stringify(failed)));
  assert.deepEqual(back, failed);
  assert.equal(back.summary.totalMs, undefined);
  // null is accepted too, for writers that keep the member.
  const withNull = mutated((j) => ((j.summary as Json).ackMs = null));
  assert.equal(parseRunRecord(withNull).summary.ackMs, undefined);
});

test('unknown members are dropped, so the record has exactly the RunRecord shape', () => {
  const r = parseRunRecord(mutated((j) => (j.extra = 1)));
  assert.equal('extra' in r, false);
});

test('the version is checked first, with a message that says what the file is not', () => {
  rejects({}, /^version: missing; not a livemig run record$/);
  rejects(
    mutated((j) => (j.version = 2)),
    /^version: unsupported run record version 2 \(this livemig reads version 1\)$/,
  );
  rejects([], /^expected an object, got an array$/);
  rejects('run', /^expected an object, got "run"$/);
});

test('bad members are named by their path', () => {
  rejects(
    mutated((j) => delete j.label),
    /^label: expected a string, got nothing \(missing\)$/,
  );
  rejects(
    mutated((j) => delete j.samples),
    /^samples: expected an array/,
  );
  rejects(
    mutated((j) => ((j.samples as Json[])[3]!.tMs = 'soon')),
    /^samples\[3\]\.tMs: expected a number, got "soon"$/,
  );
  rejects(
    mutated((j) => ((j.events as Json[])[0]!.kind = 'boom')),
    /^events\[0\]\.kind: unknown event kind "boom"$/,
  );
  rejects(
    mutated((j) => ((j.events as Json[])[0]!.side = 'both')),
    /^events\[0\]\.side: expected "source" or "destination", got "both"$/,
  );
  rejects(
    mutated((j) => (((j.downtime as Json).parts as Json[])[2]!.ms = null)),
    /^downtime\.parts\[2\]\.ms: expected a number, got null$/,
  );
  rejects(
    mutated((j) => (((j.setup as Json).capabilities as Json)['switchover-ack'] = 'yes')),
    /^setup\.capabilities\.switchover-ack: expected true or false/,
  );
  rejects(
    mutated((j) => (((j.setup as Json).parameters as Json)['downtime-limit'] = [300])),
    /^setup\.parameters\.downtime-limit: expected a string, number or boolean, got an array$/,
  );
  rejects(
    mutated((j) => ((j.verification as Json).ramEqual = 'true')),
    /^verification\.ramEqual: expected true or false, got "true"$/,
  );
  rejects(
    mutated((j) => ((j.summary as Json).totalMs = 'NaN')),
    /^summary\.totalMs: expected a number/,
  );
});

test('a file may hold an array of records; errors then name the element', () => {
  const both = parseRunRecords([fixtureJson(ACK_FIXTURE), fixtureJson(NO_ACK_FIXTURE)]);
  assert.deepEqual(
    both.map((r) => r.label),
    ['switchover-ack', 'no switchover-ack'],
  );
  assert.equal(parseRunRecords(fixtureJson(ACK_FIXTURE)).length, 1);
  assert.throws(() => parseRunRecords([]), /no run records/);
  assert.throws(
    () => parseRunRecords([fixtureJson(ACK_FIXTURE), { version: 1, label: 7 }]),
    (e: unknown) =>
      e instanceof RunRecordError && e.message === '[1].label: expected a string, got 7',
  );
});
