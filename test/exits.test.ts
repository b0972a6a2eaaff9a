import { describe, expect, it } from 'vitest';
import type { CallEvent } from '../machines/events.js';
import { goodbyeDone, listening, startCall } from './support/call.js';

const EXITS: { event: CallEvent; reason: string; goodbye: boolean; deleteRoom: boolean }[] = [
  { event: { type: 'END_REQUESTED', source: 'frontend' }, reason: 'end_requested', goodbye: true, deleteRoom: true },
  { event: { type: 'END_REQUESTED', source: 'backend' }, reason: 'end_requested', goodbye: true, deleteRoom: true },
  { event: { type: 'DRAIN' }, reason: 'drain', goodbye: true, deleteRoom: true },
  { event: { type: 'MAX_DURATION_REACHED' }, reason: 'max_duration', goodbye: true, deleteRoom: true },
  { event: { type: 'CALLER_DISCONNECTED' }, reason: 'caller_left', goodbye: false, deleteRoom: true },
  { event: { type: 'ROOM_DISCONNECTED', deleted: true }, reason: 'room_deleted', goodbye: false, deleteRoom: false },
  // Only DisconnectReason.ROOM_DELETED is a deletion: a lost connection leaves the room, so closeAction still runs.
  { event: { type: 'ROOM_DISCONNECTED', deleted: false }, reason: 'disconnected', goodbye: false, deleteRoom: true },
  { event: { type: 'JOB_SHUTDOWN' }, reason: 'job_shutdown', goodbye: false, deleteRoom: true },
  { event: { type: 'SESSION_CLOSED' }, reason: 'session_closed', goodbye: false, deleteRoom: true },
  { event: { type: 'FATAL_ERROR', message: 'boom' }, reason: 'error', goodbye: false, deleteRoom: true },
];

describe('every exit path ends in exactly one shutdown with its reason', () => {
  for (const exit of EXITS) {
    it(`${exit.event.type}${'source' in exit.event ? ` (${exit.event.source})` : ''} → ${exit.reason}`, () => {
      const call = startCall().at(0, listening).at(5, exit.event);
      if (exit.goodbye) {
        expect(call.types()).toEqual(['goodbye']);
        call.at(7, goodbyeDone);
      }
      const tail = ['sessionClose', 'shutdown', ...(exit.deleteRoom ? ['deleteRoom'] : [])];
      expect(call.types()).toEqual([...(exit.goodbye ? ['goodbye'] : []), ...tail]);
      expect(call.of('shutdown').map((s) => s.reason)).toEqual([exit.reason]);
      expect(call.done()).toBe(true);

      // After shutdown, nothing: not the same exit again, not any other event.
      call.at(8, exit.event, { type: 'DRAIN' }, { type: 'USER_STATE', state: 'away' }, { type: 'DIAL_REQUESTED', number: '+15550001111' });
      call.until(500);
      expect(call.of('shutdown')).toHaveLength(1);
      expect(call.types().length).toBe(tail.length + (exit.goodbye ? 1 : 0));
    });
  }

  it('the first reason wins: SIGTERM during the goodbye neither restarts nor renames the close', () => {
    const call = startCall().at(0, listening).at(5, { type: 'END_REQUESTED', source: 'frontend' }).at(6, { type: 'DRAIN' }).at(7, goodbyeDone);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['end_requested']);
    expect(call.of('goodbye')).toHaveLength(1);
  });

  describe('a close the framework starts, or a lost connection, with a dial in flight', () => {
    const dialing = (o: Parameters<typeof startCall>[0] = {}) =>
      startCall(o).at(0, listening).at(1, { type: 'DIAL_REQUESTED', number: '+15550001111' });
    const closes: { event: CallEvent; reason: string }[] = [
      { event: { type: 'JOB_SHUTDOWN' }, reason: 'job_shutdown' },
      { event: { type: 'ROOM_DISCONNECTED', deleted: false }, reason: 'disconnected' },
    ];
    for (const { event, reason } of closes) {
      it(`${event.type}: the dial is cancelled explicitly at once, no goodbye, the room deleted (${reason})`, () => {
        const call = dialing().at(3, event);
        expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
        expect(call.of('dialEnd').map((d) => d.outcome)).toEqual(['cancelled']);
        expect(call.of('shutdown').map((s) => s.reason)).toEqual([reason]);
      });
      it(`${event.type} while a requested close waits for the dial: cancel it now, skip the goodbye`, () => {
        const call = dialing().at(2, { type: 'END_REQUESTED', source: 'backend' }).at(3, event);
        expect(call.types()).toEqual(['dialStart', 'dialCancel', 'dialEnd', 'sessionClose', 'shutdown', 'deleteRoom']);
        expect(call.of('shutdown').map((s) => s.reason)).toEqual(['end_requested']);
      });
      it(`${event.type} during the goodbye ends it at once`, () => {
        const call = startCall().at(0, listening).at(2, { type: 'END_REQUESTED', source: 'backend' }).at(3, event);
        expect(call.types()).toEqual(['goodbye', 'sessionClose', 'shutdown', 'deleteRoom']);
      });
    }
    it('a deleted room, by contrast, has nothing left to cancel or delete', () => {
      const call = dialing().at(3, { type: 'ROOM_DISCONNECTED', deleted: true });
      expect(call.types()).toEqual(['dialStart', 'dialEnd', 'sessionClose', 'shutdown']);
    });
  });

  it("closeAction 'leave' shuts down without deleting the room", () => {
    const call = startCall({ closeAction: 'leave' }).at(0, listening).at(1, { type: 'CALLER_DISCONNECTED' });
    expect(call.types()).toEqual(['sessionClose', 'shutdown']);
  });

  it('max call duration: the warning warnBefore seconds ahead, then goodbye and close', () => {
    const call = startCall({ maxCallDuration: { seconds: 120, warnBefore: 30, message: 'Thirty seconds left.' } }).at(0, listening);
    call.until(89.999);
    expect(call.types()).toEqual([]);
    call.until(90);
    expect(call.commands).toEqual([{ type: 'warn', text: 'Thirty seconds left.', t: 90 }]);
    call.until(120);
    expect(call.types()).toEqual(['warn', 'goodbye']);
    call.at(122, goodbyeDone);
    expect(call.of('shutdown').map((s) => s.reason)).toEqual(['max_duration']);
  });

  it('max call duration with no warning', () => {
    const call = startCall({ maxCallDuration: { seconds: 60, warnBefore: 0 } }).at(0, listening).until(60);
    expect(call.types()).toEqual(['goodbye']);
  });
});
