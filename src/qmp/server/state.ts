/**
 * The life of one QMP connection. QEMU starts every monitor in capabilities
 * negotiation mode; a successful qmp_capabilities switches it to command mode
 * for good; closing ends both.
 */
export type ConnectionState = 'negotiating' | 'command' | 'closed';

export type ConnectionEvent = { type: 'capabilities-accepted' } | { type: 'closed' };

/** The one place a connection changes state. */
export function transition(state: ConnectionState, event: ConnectionEvent): ConnectionState {
  if (state === 'closed') return 'closed';
  switch (event.type) {
    case 'capabilities-accepted':
      return state === 'negotiating' ? 'command' : state;
    case 'closed':
      return 'closed';
  }
}
