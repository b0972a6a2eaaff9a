/**
 * The emulator's contract (src/emulator/server.ts): the same requests, through the same unmodified
 * `livekit-server-sdk` clients, to the emulator and to the real livekit-server + livekit-sip must come back the same:
 * success or failure, the Twirp status, code and message, the response fields the project reads, and the dial outcome
 * the project's own `describeFailure` derives. Ids and timestamps are never compared.
 *
 * The emulator runs in this test process, set up as the real side is: its room holds a participant with the web
 * caller's identity and microphone sid, and its `sip` map scripts what each sipp phone does.
 *
 * Two differences remain, each pinned below so that a change on either side shows: a leg that rings past the ringing
 * timeout (the emulator's SIP 480 is model mode's too, src/sip/plan.ts), and DeleteRoom of a room that never existed
 * (the emulator cannot see rooms created by a join or a dispatch, so it takes every room it has not deleted as there).
 */
import { ParticipantPermission, type ParticipantInfo, type TrackInfo } from '@livekit/protocol';
import { AgentDispatchClient, RoomServiceClient, SipClient, TokenVerifier, TrackSource, TwirpError } from 'livekit-server-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeFailure, dialedIdentity, type DialResult } from '../../src/dialer/sipDialer.js';
import { LiveKitApiEmulator } from '../../src/emulator/server.js';
import type { SipEntry } from '../../src/sip/entry.js';
import { outboundTrunk, removeTrunks } from './support/call.js';
import { startCallee, type CalleeScript, type Phone } from './support/phone.js';
import { connectWorker, type ProtocolWorker } from './support/protocolWorker.js';
import { dispatchService, eventually, roomService, sipService, STACK, uniqueRoom } from './support/stack.js';
import { joinWebCaller, type WebCaller } from './support/webCaller.js';

/**
 * What a request came back as, without ids or timestamps. A failed dial's message is left out: the SDK builds it from
 * the SIP reason phrase, which is the callee's own (sipp says "Rejected"), not the server's.
 */
type Seen<T> = { ok: true; value: T } | { ok: false; status: number; code: string | undefined; message?: string; sipStatus?: string };
type Both<T> = { real: Seen<T>; emulator: Seen<T> };

async function seen<R, T>(request: Promise<R>, pick: (r: R) => T): Promise<Seen<T>> {
  try {
    return { ok: true, value: pick(await request) };
  } catch (e) {
    if (!(e instanceof TwirpError)) throw e; // a transport failure is no answer to compare
    const sipStatus = e.metadata?.sip_status_code;
    return sipStatus === undefined ? { ok: false, status: e.status, code: e.code, message: e.message } : { ok: false, status: e.status, code: e.code, sipStatus };
  }
}

const trackFields = (t: TrackInfo | undefined) => (t ? { sid: t.sid, muted: t.muted } : null);
const participantFields = (p: ParticipantInfo) => ({
  identity: p.identity,
  permission: { canSubscribe: p.permission?.canSubscribe, canPublish: p.permission?.canPublish, canPublishData: p.permission?.canPublishData },
  tracks: p.tracks.map(trackFields),
});
const nothing = () => null;

interface Side {
  name: 'real' | 'emulator';
  url: string;
  rooms: RoomServiceClient;
  sip: SipClient;
  dispatch: AgentDispatchClient;
}

const CALLER = 'contract-caller';
const NOBODY = 'nobody-here';
/** One phone per port, each behind its own outbound trunk (other e2e files use 5070-5089). */
const PORTS = { answered: 5090, busy: 5091, declined: 5092, unanswered: 5093, cancelled: 5094 } as const;
type PhoneCase = keyof typeof PORTS;
const numberOf = (c: PhoneCase) => `+155500${PORTS[c]}`;
/** What each phone does, on the real side (sipp) and as the emulator's `sip` map scripts it. */
const SCRIPTS: Record<PhoneCase, { phone: CalleeScript; entry: SipEntry }> = {
  answered: { phone: { ringMs: 1_000, answer: true }, entry: { outcome: 'answered', ringSeconds: 1 } },
  busy: { phone: { ringMs: 1_000, reject: 486 }, entry: { outcome: 'busy', ringSeconds: 1 } },
  declined: { phone: { ringMs: 1_000, reject: 603 }, entry: { outcome: 'failed', sipStatus: 603, ringSeconds: 1 } },
  unanswered: { phone: { ringForever: true }, entry: { outcome: 'no-answer' } },
  // Rings until the test removes the leg, well inside its ringing timeout.
  cancelled: { phone: { ringForever: true }, entry: { outcome: 'no-answer' } },
};
const RINGING_TIMEOUT = 4;
/** livekit-sip's answer to a leg that rang out, or that we ended while it rang (measured). */
const DIAL_ENDED = { ok: false, status: 408, code: 'canceled', message: 'twirp error unknown: sip request timed out' } as const;

describe('the emulator answers as the real livekit-server and livekit-sip do', () => {
  let emulator: LiveKitApiEmulator;
  let real: Side;
  let emu: Side;
  const trunks = new Map<PhoneCase, string>();
  const phones: Phone[] = [];
  beforeAll(async () => {
    const cases = Object.keys(PORTS) as PhoneCase[];
    emulator = new LiveKitApiEmulator({ apiKey: STACK.key, apiSecret: STACK.secret, sip: Object.fromEntries(cases.map((c) => [numberOf(c), SCRIPTS[c].entry])) });
    const url = await emulator.start();
    real = { name: 'real', url: STACK.httpUrl, rooms: roomService(), sip: sipService(), dispatch: new AgentDispatchClient(STACK.httpUrl, STACK.key, STACK.secret) };
    emu = {
      name: 'emulator',
      url,
      rooms: new RoomServiceClient(url, STACK.key, STACK.secret),
      sip: new SipClient(url, STACK.key, STACK.secret),
      dispatch: new AgentDispatchClient(url, STACK.key, STACK.secret),
    };
    for (const c of cases) trunks.set(c, await outboundTrunk(PORTS[c], STACK.ip));
  });
  afterAll(async () => {
    for (const p of phones) p.stop();
    await emulator?.stop();
    await removeTrunks();
  });

  /** The same request to both sides at once (each side's state is its own). */
  async function both<R, T>(request: (s: Side) => Promise<R>, pick: (r: R) => T): Promise<Both<T>> {
    const [r, e] = await Promise.all([seen(request(real), pick), seen(request(emu), pick)]);
    return { real: r, emulator: e };
  }

  describe('room service, on a web caller in a real room', () => {
    let room: string;
    let caller: WebCaller;
    let mic: string;
    /** The caller's microphone as the real server has it now. */
    const micOnServer = async () => {
      const p = (await real.rooms.listParticipants(room)).find((x) => x.identity === CALLER);
      return p?.tracks.find((t) => t.source === TrackSource.MICROPHONE);
    };
    const micInEmulator = () => emulator.participant(room, CALLER)?.tracks[0]?.muted;
    beforeAll(async () => {
      room = uniqueRoom('contract');
      caller = await joinWebCaller(room, { identity: CALLER, speakFirst: false });
      mic = caller.micSid();
      await eventually(async () => ((await micOnServer())?.sid === mic ? true : undefined), "the caller's microphone on the server");
      // The emulator's room holds the same participant with the same track, as LiveKit has them (test/support/session.ts
      // seeds the unit tests' caller the same way).
      emulator.addParticipant(room, CALLER, [mic]);
    });
    afterAll(async () => {
      await caller?.leave().catch(() => undefined);
    });

    it('mutePublishedTrack(muted: true) mutes the track on both', async () => {
      const r = await both((s) => s.rooms.mutePublishedTrack(room, CALLER, mic, true), trackFields);
      expect(r.real).toEqual({ ok: true, value: { sid: mic, muted: true } });
      expect(r.emulator).toEqual(r.real);
      expect((await micOnServer())?.muted).toBe(true);
      expect(micInEmulator()).toBe(true);
    });

    it('mutePublishedTrack(muted: false) is refused on both (room.enable_remote_unmute is off by default): the track stays muted', async () => {
      const r = await both((s) => s.rooms.mutePublishedTrack(room, CALLER, mic, false), trackFields);
      expect(r.real).toEqual({ ok: false, status: 412, code: 'failed_precondition', message: 'twirp error unknown: remote unmute not enabled' });
      expect(r.emulator).toEqual(r.real);
      expect((await micOnServer())?.muted).toBe(true);
      expect(micInEmulator()).toBe(true);
    });

    it('updateParticipant with a permission change answers the same participant, and does not unmute the track', async () => {
      const permission = new ParticipantPermission({ canSubscribe: true, canPublish: true, canPublishData: false });
      const r = await both((s) => s.rooms.updateParticipant(room, CALLER, { permission }), participantFields);
      expect(r.real).toEqual({
        ok: true,
        value: { identity: CALLER, permission: { canSubscribe: true, canPublish: true, canPublishData: false }, tracks: [{ sid: mic, muted: true }] },
      });
      expect(r.emulator).toEqual(r.real);
      expect((await micOnServer())?.muted).toBe(true);
      expect(micInEmulator()).toBe(true);
    });

    it('mutePublishedTrack of a track the participant does not have succeeds with no track, on both', async () => {
      const r = await both((s) => s.rooms.mutePublishedTrack(room, CALLER, 'TR_nosuchtrack', true), trackFields);
      expect(r.real).toEqual({ ok: true, value: null });
      expect(r.emulator).toEqual(r.real);
    });

    it('updateSubscriptions of a participant in the room succeeds on both', async () => {
      const r = await both((s) => s.rooms.updateSubscriptions(room, CALLER, [mic], false), nothing);
      expect(r.real).toEqual({ ok: true, value: null });
      expect(r.emulator).toEqual(r.real);
    });

    it('an identity not in the room: removeParticipant and updateParticipant are not_found; mutePublishedTrack and updateSubscriptions time out unanswered', async () => {
      const [remove, update, mute, subscriptions] = await Promise.all([
        both((s) => s.rooms.removeParticipant(room, NOBODY), nothing),
        both((s) => s.rooms.updateParticipant(room, NOBODY, { metadata: 'm' }), participantFields),
        both((s) => s.rooms.mutePublishedTrack(room, NOBODY, mic, true), trackFields),
        both((s) => s.rooms.updateSubscriptions(room, NOBODY, [mic], false), nothing),
      ]);
      const notFound = { ok: false, status: 404, code: 'not_found', message: 'twirp error unknown: participant does not exist' };
      // These two go straight to the participant's RPC topic: nobody answers, and the server gives up after 3 s.
      const noResponse = { ok: false, status: 503, code: 'unavailable', message: 'twirp error unknown: no response from servers' };
      expect({ remove, update, mute, subscriptions }).toEqual({
        remove: { real: notFound, emulator: notFound },
        update: { real: notFound, emulator: notFound },
        mute: { real: noResponse, emulator: noResponse },
        subscriptions: { real: noResponse, emulator: noResponse },
      });
    });

    it('a wrong API secret is refused the same way: 401, plain text, no Twirp code', async () => {
      const wrong = 'not-the-secret-0123456789-0123456789-0123456789';
      const r = await both((s) => new RoomServiceClient(s.url, STACK.key, wrong).removeParticipant(room, CALLER), nothing);
      // The server echoes the refused token (each side its own, signed a moment apart) in its answer.
      const token = (x: Seen<null>) => (x.ok ? x : { ...x, message: x.message?.replace(/^invalid token: [\w-]+\.[\w-]+\.[\w-]+, /, 'invalid token: <token>, ') });
      expect(token(r.real)).toEqual({ ok: false, status: 401, code: undefined, message: 'invalid token: <token>, error: token signature is invalid: signature is invalid' });
      expect(token(r.emulator)).toEqual(token(r.real));
    });

    it('deleteRoom of the room succeeds on both; again, and any participant call in it, as the real server answers', async () => {
      const deleted = await both((s) => s.rooms.deleteRoom(room), nothing);
      expect(deleted.real).toEqual({ ok: true, value: null });
      expect(deleted.emulator).toEqual(deleted.real);
      const [again, remove, mute] = await Promise.all([
        both((s) => s.rooms.deleteRoom(room), nothing),
        both((s) => s.rooms.removeParticipant(room, CALLER), nothing),
        both((s) => s.rooms.mutePublishedTrack(room, CALLER, mic, true), trackFields),
      ]);
      expect(again.real).toEqual({ ok: false, status: 404, code: 'not_found', message: 'twirp error unknown: requested room does not exist' });
      expect(again.emulator).toEqual(again.real);
      expect(remove.real).toMatchObject({ ok: false, status: 404, message: 'twirp error unknown: participant does not exist' });
      expect(remove.emulator).toEqual(remove.real);
      expect(mute.real).toMatchObject({ ok: false, status: 503 });
      expect(mute.emulator).toEqual(mute.real);
    });

    it('a room that never existed: removeParticipant answers the same; deleteRoom is a known difference', async () => {
      const never = uniqueRoom('contract-never');
      const [remove, deleted] = await Promise.all([both((s) => s.rooms.removeParticipant(never, CALLER), nothing), both((s) => s.rooms.deleteRoom(never), nothing)]);
      expect(remove.real).toMatchObject({ ok: false, status: 404, message: 'twirp error unknown: participant does not exist' });
      expect(remove.emulator).toEqual(remove.real);
      expect(deleted.real).toEqual({ ok: false, status: 404, code: 'not_found', message: 'twirp error unknown: requested room does not exist' });
      // Known difference: the emulator takes a room it never saw as one it cannot see (created by a join or a dispatch).
      expect(deleted.emulator).toEqual({ ok: true, value: null });
    });
  });

  describe('createSipParticipant with waitUntilAnswered, as SipDialer sends it, and what describeFailure makes of it', () => {
    type Dial = { seen: Seen<{ identity: string; room: string }>; result: DialResult };
    /** SipDialer.dial's request and the outcome it derives, on one side. */
    async function dial(s: Side, c: PhoneCase, room: string, ringingTimeout = RINGING_TIMEOUT): Promise<Dial> {
      const identity = dialedIdentity(numberOf(c), 1);
      let result: DialResult = { outcome: 'answered', identity };
      const request = s.sip.createSipParticipant(trunks.get(c)!, numberOf(c), room, { participantIdentity: identity, waitUntilAnswered: true, ringingTimeout }).catch((e: unknown) => {
        result = describeFailure(e);
        throw e;
      });
      return { seen: await seen(request, (p) => ({ identity: p.participantIdentity, room: p.roomName })), result };
    }
    /** Both sides dial at once into a room of their own name (each rings in real time), the phone answering as scripted. */
    async function dialBoth(c: PhoneCase, during?: (room: string, phone: Phone) => Promise<void>): Promise<{ real: Dial; emulator: Dial; phone: Phone }> {
      const phone = startCallee(SCRIPTS[c].phone, PORTS[c]);
      phones.push(phone);
      const room = uniqueRoom(`contract-sip-${c}`);
      const dials = Promise.all([dial(real, c, room, c === 'cancelled' ? 20 : RINGING_TIMEOUT), dial(emu, c, room, c === 'cancelled' ? 20 : RINGING_TIMEOUT)]);
      await during?.(room, phone);
      const [r, e] = await dials;
      // An answered leg's call ends with its room (the phone gets its BYE); the others are over already.
      await real.rooms.deleteRoom(room).catch(() => undefined);
      await phone.exited;
      return { real: r, emulator: e, phone };
    }

    it.each<[PhoneCase, Seen<unknown>, DialResult]>([
      ['answered', { ok: true, value: { identity: dialedIdentity(numberOf('answered'), 1), room: '' } }, { outcome: 'answered', identity: dialedIdentity(numberOf('answered'), 1) }],
      ['busy', { ok: false, status: 429, code: 'resource_exhausted', sipStatus: '486' }, { outcome: 'busy', sipStatus: 486 }],
      ['declined', { ok: false, status: 403, code: 'permission_denied', sipStatus: '603' }, { outcome: 'failed', sipStatus: 603 }],
    ])('%s: the same answer and the same dial outcome', async (c, answer, result) => {
      const r = await dialBoth(c);
      const withoutRoom = (x: Seen<{ identity: string; room: string }>) => (x.ok ? { ok: true, value: { ...x.value, room: '' } } : x);
      expect(withoutRoom(r.real.seen)).toEqual(answer);
      expect(r.real.result).toEqual(result);
      expect(r.emulator).toEqual(r.real);
    });

    it('a ringing dial cancelled by removing its participant: the same answer to the remove and to the dial (which only the dialer that removed it knows as cancelled)', async () => {
      const identity = dialedIdentity(numberOf('cancelled'), 1);
      let removed: Both<null> | undefined;
      const r = await dialBoth('cancelled', async (room, phone) => {
        // Ringing on both sides: the phone has the INVITE, and the leg is in the room (the real bridge puts it there
        // as soon as it dials, before the INVITE has even left).
        await eventually(() => (phone.received().includes('INVITE') ? true : undefined), 'the INVITE at the phone');
        await eventually(async () => ((await real.rooms.listParticipants(room)).some((p) => p.identity === identity) ? true : undefined), 'the ringing leg in the real room');
        await eventually(() => (emulator.participant(room, identity) ? true : undefined), "the ringing leg in the emulator's room");
        removed = await both((s) => s.rooms.removeParticipant(room, identity), nothing);
      });
      expect(removed).toEqual({ real: { ok: true, value: null }, emulator: { ok: true, value: null } });
      // livekit-sip reports a leg ended from our side as it reports one that rang out: no SIP status (no 487).
      expect(r.real.seen).toEqual(DIAL_ENDED);
      expect(r.real.result).toEqual({ outcome: 'no-answer', detail: `no answer (${DIAL_ENDED.message})` });
      expect(r.emulator).toEqual(r.real);
      expect(r.phone.received()).toContain('CANCEL');
    });

    it('unanswered past ringingTimeout: the same dial outcome (no-answer); the answer itself is a known difference', async () => {
      const r = await dialBoth('unanswered');
      expect(r.real.seen).toEqual(DIAL_ENDED);
      expect(r.real.result).toEqual({ outcome: 'no-answer', detail: `no answer (${DIAL_ENDED.message})` });
      expect(r.emulator.result.outcome).toBe(r.real.result.outcome);
      // Known difference: the emulator plays src/sip/plan.ts's SIP 480 for a leg that rings out, as model mode does
      // (agent mode must agree with it, test/agent-mode.test.ts), where livekit-sip sends no SIP status at all.
      expect(r.emulator.seen).toEqual({ ok: false, status: 429, code: 'resource_exhausted', sipStatus: '480' });
      expect(r.emulator.result).toEqual({ outcome: 'no-answer', sipStatus: 480 });
      expect(r.phone.received()).toContain('CANCEL');
    });
  });

  describe('agent dispatch, as a worker sees it on the wire (the framework\'s worker reads these fields)', () => {
    const workers: ProtocolWorker[] = [];
    afterAll(() => {
      for (const w of workers) w.close();
    });

    it('registration, CreateDispatch, the job offered and its assignment carry the same fields on both', async () => {
      const agentName = `contract-agent-${process.pid}`;
      const room = uniqueRoom('contract-dispatch');
      const verifier = new TokenVerifier(STACK.key, STACK.secret);
      const prefix = (id: string | undefined) => id?.slice(0, 3);
      const side = async (s: Side) => {
        const worker = await connectWorker(s.url, STACK.key, STACK.secret, agentName);
        workers.push(worker);
        const registered = await worker.next('register');
        const dispatch = await s.dispatch.createDispatch(room, agentName, { metadata: '{"checkIn":{"interval":5}}' });
        const offered = (await worker.next('availability')).job!;
        worker.accept(offered.id, `agent-${offered.id}`);
        const assignment = await worker.next('assignment');
        const grants = await verifier.verify(assignment.token);
        return {
          registered: { workerId: prefix(registered.workerId), protocol: registered.serverInfo?.protocol, agentProtocol: registered.serverInfo?.agentProtocol },
          dispatch: { id: prefix(dispatch.id), agentName: dispatch.agentName, room: dispatch.room, metadata: dispatch.metadata },
          offered: {
            id: prefix(offered.id),
            type: offered.type,
            agentName: offered.agentName,
            metadata: offered.metadata,
            sameDispatch: offered.dispatchId === dispatch.id,
            room: { name: offered.room?.name, emptyTimeout: offered.room?.emptyTimeout, departureTimeout: offered.room?.departureTimeout },
            state: { status: offered.state?.status, sameWorker: offered.state?.workerId === registered.workerId },
          },
          assignment: {
            url: assignment.url,
            sameJob: assignment.job?.id === offered.id,
            participantIdentity: assignment.job?.state?.participantIdentity === `agent-${offered.id}`,
            token: { sub: grants.sub === `agent-${offered.id}`, name: grants.name === `agent-${offered.id}`, kind: grants.kind, video: grants.video, attributes: grants.attributes },
          },
        };
      };
      try {
        const [r, e] = await Promise.all([side(real), side(emu)]);
        expect(r).toMatchObject({ registered: { workerId: 'AW_' }, dispatch: { id: 'AD_', agentName, room }, offered: { id: 'AJ_', sameDispatch: true } });
        // No URL in the assignment: the worker joins the server it registered with.
        expect(r.assignment.url).toBeUndefined();
        expect(e).toEqual(r);
      } finally {
        await dispatchService()
          .listDispatch(room)
          .then(() => real.rooms.deleteRoom(room))
          .catch(() => undefined);
      }
    });
  });
});
