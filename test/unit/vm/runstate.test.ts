import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/errors.js';
import { RunStateMachine } from '../../../src/vm/runstate.js';

function machine(initial: ConstructorParameters<typeof RunStateMachine>[0]) {
  const events: [string, unknown][] = [];
  const rs = new RunStateMachine(initial, (n, d) => events.push([n, d]));
  return { rs, events };
}

describe('runstate', () => {
  it('emits RESUME entering running and STOP leaving it, without data', () => {
    const { rs, events } = machine('prelaunch');
    rs.transition('running');
    rs.transition('paused');
    rs.transition('running');
    rs.transition('finish-migrate');
    rs.transition('postmigrate');
    assert.deepEqual(events, [
      ['RESUME', undefined],
      ['STOP', undefined],
      ['RESUME', undefined],
      ['STOP', undefined],
    ]);
    assert.equal(rs.state, 'postmigrate');
  });

  it('same state is a no-op; transitions QEMU forbids throw BAD_STATE', () => {
    const { rs, events } = machine('paused');
    rs.transition('paused');
    assert.equal(events.length, 0);
    assert.throws(() => rs.transition('inmigrate'), {
      code: ErrorCode.BAD_STATE,
      message: "invalid runstate transition: 'paused' -> 'inmigrate'",
    });
    const m2 = machine('prelaunch');
    assert.throws(() => m2.rs.transition('paused'), { code: ErrorCode.BAD_STATE });
  });

  it('incoming: inmigrate → running emits RESUME; inmigrate → paused is silent', () => {
    const a = machine('inmigrate');
    a.rs.transition('running');
    assert.deepEqual(a.events, [['RESUME', undefined]]);
    const b = machine('inmigrate');
    b.rs.transition('paused');
    assert.deepEqual(b.events, []);
  });

  it('shutdown: SHUTDOWN data as QEMU 8.1 sends it; running → shutdown without STOP', () => {
    const { rs, events } = machine('running');
    rs.shutdown('host-qmp-quit');
    assert.deepEqual(events, [['SHUTDOWN', { guest: false, reason: 'host-qmp-quit' }]]);
    assert.equal(rs.state, 'shutdown');
    const p = machine('paused');
    p.rs.shutdown('host-qmp-quit');
    assert.equal(p.rs.state, 'paused');
  });
});
