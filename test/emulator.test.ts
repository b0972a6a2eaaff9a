/** The dialer and the room service, through the unmodified livekit-server-sdk clients, against the emulator. */
import { ParticipantPermission } from '@livekit/protocol';
import { RoomServiceClient } from 'livekit-server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { SipDialer } from '../src/dialer/sipDialer.js';
import { LiveKitApiEmulator } from '../src/emulator/server.js';
import type { SipEntry } from '../src/sip/entry.js';

const KEY = 'APIemulator';
const SECRET = 'emulator-secret-that-is-long-enough-0123456789';
let emulator: LiveKitApiEmulator | null = null;
afterEach(async () => {
  await emulator?.stop();
  emulator = null;
});

async function setup(sip: Record<string, SipEntry> = {}, secret = SECRET) {
  emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET, sip, timeScale: 0.01 });
  const url = await emulator.start();
  const logs: { fields: Record<string, unknown>; msg: string }[] = [];
  const dialer = new SipDialer({ url, apiKey: KEY, apiSecret: secret, roomName: 'call-1', trunkId: 'ST_test', ringingTimeout: 30, log: (fields, msg) => logs.push({ fields, msg }) });
  return { url, dialer, logs, emulator };
}

describe('dialing through the emulator', () => {
  it.each([
    [{ outcome: 'answered', ringSeconds: 3 } as SipEntry, { outcome: 'answered', identity: 'sip-15550001111-1' }],
    // A machine answers like a person: SIP cannot tell them apart (answering-machine detection does, after).
    [{ outcome: 'voicemail', ringSeconds: 3, greeting: 'Please leave a message after the tone.' } as SipEntry, { outcome: 'answered', identity: 'sip-15550001111-1' }],
    [{ outcome: 'busy' } as SipEntry, { outcome: 'busy', sipStatus: 486 }],
    [{ outcome: 'no-answer' } as SipEntry, { outcome: 'no-answer', sipStatus: 480 }],
    [{ outcome: 'failed', sipStatus: 404 } as SipEntry, { outcome: 'failed', sipStatus: 404 }],
    [{ outcome: 'failed' } as SipEntry, { outcome: 'failed', sipStatus: 503 }],
  ])('%j settles as %j', async (entry, expected) => {
    const { dialer, emulator } = await setup({ '+15550001111': entry });
    expect(await dialer.dial('+15550001111')).toEqual(expected);
    const call = emulator.calls.find((c) => c.method === 'livekit.SIP/CreateSIPParticipant')!;
    expect(call.request).toMatchObject({ sipCallTo: '+15550001111', roomName: 'call-1', waitUntilAnswered: true, sipTrunkId: 'ST_test' });
    expect(String(call.request.participantIdentity)).toMatch(/^sip-15550001111-\d+$/);
  });

  it('rings past the ringing timeout as no-answer', async () => {
    const { dialer } = await setup({ '+15550001111': { outcome: 'answered', ringSeconds: 40 } });
    expect(await dialer.dial('+15550001111')).toEqual({ outcome: 'no-answer', sipStatus: 480 });
  });

  it('cancels a ringing dial explicitly by removing its participant', async () => {
    const { dialer, emulator } = await setup({ '+15550001111': { outcome: 'answered', ringSeconds: 100 } });
    const pending = dialer.dial('+15550001111');
    await new Promise((r) => setTimeout(r, 50));
    await dialer.cancel('+15550001111');
    // The bridge answers as livekit-sip does (no SIP status, as for a leg that rang out); the dialer knows it cancelled.
    expect(await pending).toEqual({ outcome: 'cancelled', detail: 'no answer (twirp error unknown: sip request timed out)' });
    expect(emulator.calls.map((c) => c.method)).toContain('livekit.RoomService/RemoveParticipant');
  });

  it('hangs up an answered leg explicitly by removing its participant (a machine answered)', async () => {
    const { dialer, emulator } = await setup({ '+15550001111': { outcome: 'voicemail', ringSeconds: 1 } });
    expect(await dialer.dial('+15550001111')).toEqual({ outcome: 'answered', identity: 'sip-15550001111-1' });
    await dialer.hangup('+15550001111');
    const removed = emulator.calls.filter((c) => c.method === 'livekit.RoomService/RemoveParticipant');
    expect(removed.map((c) => [c.status, c.request])).toEqual([[200, { room: 'call-1', identity: 'sip-15550001111-1' }]]);
  });

  it('a wrong API secret: 401, the dial fails cleanly with a clear log line and no secret in it', async () => {
    const { dialer, logs, emulator } = await setup({}, 'not-the-right-secret-0123456789-abcdefghij');
    const result = await dialer.dial('+15550001111');
    expect(result.outcome).toBe('failed');
    expect(result.detail).toMatch(/rejected our credentials \(401/);
    expect(emulator.calls[0]).toMatchObject({ status: 401 });
    expect(logs).toHaveLength(1);
    expect(JSON.stringify(logs)).not.toContain('not-the-right-secret');
    expect(JSON.stringify(logs)).not.toContain(SECRET);
  });

  it('an unreachable API (connection refused) fails the dial, it does not throw', async () => {
    const dialer = new SipDialer({ url: 'http://127.0.0.1:9', apiKey: KEY, apiSecret: SECRET, roomName: 'r', trunkId: 't', ringingTimeout: 30 });
    const result = await dialer.dial('+15550001111');
    expect(result).toMatchObject({ outcome: 'failed' });
    expect(result.detail).toMatch(/unreachable/);
  });

  it('a connection dropped mid-request (scenario outcome unreachable) fails the dial', async () => {
    const { dialer } = await setup({ '+15550001111': { outcome: 'unreachable' } });
    expect((await dialer.dial('+15550001111')).outcome).toBe('failed');
  });
});

describe('room service through the emulator', () => {
  it('deleteRoom needs the roomCreate grant and deletes the room', async () => {
    const { url, emulator } = await setup();
    await new RoomServiceClient(url, KEY, SECRET).deleteRoom('call-1');
    expect(emulator.isDeleted('call-1')).toBe(true);
    await expect(new RoomServiceClient(url, KEY, 'wrong-secret-0123456789-0123456789-xx').deleteRoom('call-2')).rejects.toMatchObject({ status: 401 });
  });

  it('muting a track does not change permissions; changing permissions does not unmute a track', async () => {
    const { url, emulator } = await setup();
    emulator.addParticipant('call-1', 'caller', ['TR_mic']);
    const rooms = new RoomServiceClient(url, KEY, SECRET);
    await rooms.updateParticipant('call-1', 'caller', { permission: new ParticipantPermission({ canPublish: true, canSubscribe: true }) });
    const muted = await rooms.mutePublishedTrack('call-1', 'caller', 'TR_mic', true);
    expect(muted.muted).toBe(true);
    expect(emulator.participant('call-1', 'caller')!.permission!.canPublish).toBe(true);
    await rooms.updateParticipant('call-1', 'caller', { permission: new ParticipantPermission({ canPublish: true, canSubscribe: true, canPublishData: true }) });
    expect(emulator.participant('call-1', 'caller')!.tracks[0]!.muted).toBe(true);
  });
});
