/**
 * An embedded stand-in for LiveKit's server API, for tests and local mode. It speaks Twirp over HTTP with JSON
 * bodies, exactly as `livekit-server-sdk` sends them, for every call the agent makes:
 *   livekit.SIP/CreateSIPParticipant, livekit.RoomService/{DeleteRoom, RemoveParticipant, MutePublishedTrack,
 *   UpdateParticipant, UpdateSubscriptions}.
 * It verifies the bearer JWT (HS256 with the API secret) and the grant each call needs (401 otherwise),
 * (de)serialises with @livekit/protocol's message types, and plays SIP outcomes from a scenario's `sip` map.
 * Its answers, errors included (Twirp status, code, message, SIP metadata), are the real livekit-server v1.13.5 and
 * livekit-sip v1.8.0's, as test/e2e/contract.test.ts measures them side by side; that test names what still differs.
 * It binds to 127.0.0.1 only. The agent reaches it through the unmodified SDK clients; only the URL differs.
 * On the same port it serves the agent worker protocol (`agentDispatch.ts`) for the framework's own worker.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AgentDispatch,
  AgentDispatchState,
  CreateAgentDispatchRequest,
  CreateSIPParticipantRequest,
  DeleteRoomRequest,
  DeleteRoomResponse,
  MuteRoomTrackRequest,
  MuteRoomTrackResponse,
  ParticipantInfo,
  RemoveParticipantResponse,
  RoomParticipantIdentity,
  SIPParticipantInfo,
  TrackInfo,
  UpdateParticipantRequest,
  UpdateSubscriptionsRequest,
  UpdateSubscriptionsResponse,
} from '@livekit/protocol';
import { TokenVerifier, type ClaimGrants } from 'livekit-server-sdk';
import type { SipEntry } from '../sip/entry.js';
import { sipPlan } from '../sip/plan.js';
import { AgentDispatchEmulator } from './agentDispatch.js';

export interface EmulatorOptions {
  apiKey: string;
  apiSecret: string;
  /** Scripted SIP numbers (the scenario format's `sip` map). */
  sip?: Record<string, SipEntry>;
  /** Multiplies every ring time (agent-mode simulation runs the clock faster). */
  timeScale?: number;
  /**
   * livekit-server's `room.enable_remote_unmute` (default false, as there): without it, MutePublishedTrack with
   * `muted: false` is refused (412 failed_precondition), so a track muted through the API stays muted.
   */
  enableRemoteUnmute?: boolean;
}

/** One handled request, as tests and local mode see it. Never holds the token. */
export interface EmulatorCall {
  method: string;
  status: number;
  request: Record<string, unknown>;
  error?: string;
}

interface RoomParticipant {
  info: ParticipantInfo;
  subscriptions: Map<string, boolean>;
  /** A dial still ringing, ended from our side (its participant removed, the room deleted). */
  endRinging?: () => void;
}
interface Room {
  participants: Map<string, RoomParticipant>;
}

const SIP_REASONS: Record<number, string> = {
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  503: 'Service Unavailable',
  600: 'Busy Everywhere',
  603: 'Decline',
};

/** Twirp's HTTP status for each error code it defines (the ones used here). */
const TWIRP_STATUS = {
  canceled: 408,
  invalid_argument: 400,
  deadline_exceeded: 408,
  not_found: 404,
  permission_denied: 403,
  unauthenticated: 401,
  unavailable: 503,
  resource_exhausted: 429,
  failed_precondition: 412,
  aborted: 409,
} as const;
type TwirpCode = keyof typeof TWIRP_STATUS;

/**
 * The Twirp code of a failed dial, by its SIP status: livekit/protocol's table (`sipCodeToGRPCCode`, livekit/sip.go),
 * which livekit-sip applies (486 resource_exhausted and 603 permission_denied measured on the real bridge). A status
 * the table does not list comes back invalid_argument, as its fallback makes it.
 */
const SIP_TWIRP_CODES: Record<number, TwirpCode> = {
  400: 'invalid_argument',
  401: 'permission_denied',
  402: 'permission_denied',
  403: 'permission_denied',
  404: 'not_found',
  408: 'deadline_exceeded',
  410: 'not_found',
  480: 'resource_exhausted',
  486: 'resource_exhausted',
  487: 'aborted',
  500: 'failed_precondition',
  501: 'failed_precondition',
  502: 'failed_precondition',
  503: 'failed_precondition',
  504: 'deadline_exceeded',
  600: 'resource_exhausted',
  603: 'permission_denied',
  604: 'not_found',
  607: 'permission_denied',
  608: 'permission_denied',
};

class TwirpFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly meta?: Record<string, string>,
  ) {
    super(message);
  }
}

/**
 * livekit-server's own errors, word for word: its Twirp layer sends every one as "twirp error unknown: " + the error.
 * The SDK shows that message (TwirpError.message) unless the error carries a SIP status.
 */
const failure = (code: TwirpCode, error: string, meta?: Record<string, string>) => new TwirpFailure(TWIRP_STATUS[code], code, `twirp error unknown: ${error}`, meta);
const roomNotFound = () => failure('not_found', 'requested room does not exist');
const participantNotFound = () => failure('not_found', 'participant does not exist');
/**
 * MutePublishedTrack and UpdateSubscriptions go straight to the participant's own RPC topic, with no store lookup first:
 * for a participant that is not there nobody answers, and the server gives up after its RPC timeout (3 s, measured).
 */
const NO_RESPONSE_MS = 3_000;
const noResponse = () => failure('unavailable', 'no response from servers');
/**
 * livekit-sip gives up on a leg that rang past `ringingTimeout` this way, and just the same on one ended from our side
 * while ringing (its participant removed, its room deleted): canceled, no SIP status.
 */
const dialEnded = () => failure('canceled', 'sip request timed out');
/** A dial the callee refused: the SIP status as livekit-sip reports it (the reason is the callee's own phrase). */
function sipFailure(status: number): TwirpFailure {
  const reason = SIP_REASONS[status] ?? 'Error';
  return failure(SIP_TWIRP_CODES[status] ?? 'invalid_argument', `INVITE failed: sip status: ${status}: ${reason}`, { sip_status_code: String(status), sip_status: reason });
}

/** A call its token does not allow (no token at all, or a grant it lacks): livekit-server's Twirp error for it. */
const permissionDenied = () => new TwirpFailure(401, 'unauthenticated', 'permissions denied');

/**
 * A token livekit-server's auth middleware refuses before any Twirp handler runs: 401 with a plain-text body (no
 * Twirp code). `logged` is what the emulator's own record keeps: never the token, which the body echoes as the
 * server's does.
 */
class TokenRejected extends Error {
  constructor(
    readonly body: string,
    readonly logged: string,
  ) {
    super(logged);
  }
}

type Handler = (body: unknown, grants: ClaimGrants) => Promise<unknown>;

/**
 * What the emulator tells its user, as the room's participants would see it: `participantJoined`/`participantLeft` are a
 * dialed leg entering the room as it starts ringing and leaving it when its dial fails or it is removed (the real SIP
 * bridge's `ParticipantConnected`/`ParticipantDisconnected`).
 */
type EmulatorEvents = { call: [EmulatorCall]; roomDeleted: [string]; participantJoined: [room: string, identity: string]; participantLeft: [room: string, identity: string] };

export class LiveKitApiEmulator extends EventEmitter<EmulatorEvents> {
  readonly calls: EmulatorCall[] = [];
  private readonly rooms = new Map<string, Room>();
  private readonly deletedRooms = new Set<string>();
  private readonly verifier: TokenVerifier;
  private server: Server | null = null;
  private readonly handlers: Record<string, Handler>;
  private url = '';
  private nextDispatch = 1;
  /** The agent worker protocol on the same port: the framework's worker connects here through LIVEKIT_URL. */
  readonly agents: AgentDispatchEmulator;

  constructor(private readonly options: EmulatorOptions) {
    super();
    this.verifier = new TokenVerifier(options.apiKey, options.apiSecret);
    this.agents = new AgentDispatchEmulator({ apiKey: options.apiKey, apiSecret: options.apiSecret, verifier: this.verifier });
    this.handlers = {
      'livekit.SIP/CreateSIPParticipant': (b, g) => this.createSipParticipant(b, g),
      'livekit.RoomService/DeleteRoom': (b, g) => this.deleteRoom(b, g),
      'livekit.RoomService/RemoveParticipant': (b, g) => this.removeParticipant(b, g),
      'livekit.RoomService/MutePublishedTrack': (b, g) => this.mutePublishedTrack(b, g),
      'livekit.RoomService/UpdateParticipant': (b, g) => this.updateParticipant(b, g),
      'livekit.RoomService/UpdateSubscriptions': (b, g) => this.updateSubscriptions(b, g),
      'livekit.AgentDispatchService/CreateDispatch': (b, g) => this.createDispatch(b, g),
    };
  }

  /** Starts listening on 127.0.0.1 (port 0: any free port) and returns the URL to give the SDK clients. */
  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('upgrade', (req, socket, head) => {
      if (!this.agents.handleUpgrade(req, socket, head)) socket.destroy();
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    // Pending dials would otherwise keep sockets open: end them as the room going away would.
    for (const room of this.rooms.values()) for (const p of room.participants.values()) p.endRinging?.();
    await this.agents.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** A participant already in the room (the caller), so it can be muted, updated or removed. */
  addParticipant(room: string, identity: string, trackSids: string[] = []): void {
    const info = new ParticipantInfo({ identity, sid: `PA_${identity}`, tracks: trackSids.map((sid) => new TrackInfo({ sid })) });
    this.room(room).participants.set(identity, { info, subscriptions: new Map() });
  }

  participant(room: string, identity: string): ParticipantInfo | undefined {
    return this.rooms.get(room)?.participants.get(identity)?.info;
  }

  /** The identities in a room now. */
  identities(room: string): string[] {
    return [...(this.rooms.get(room)?.participants.keys() ?? [])];
  }

  /** What a participant was set to receive server-side (UpdateSubscriptions): track sid → subscribed. */
  subscriptions(room: string, identity: string): ReadonlyMap<string, boolean> | undefined {
    return this.rooms.get(room)?.participants.get(identity)?.subscriptions;
  }

  isDeleted(room: string): boolean {
    return this.deletedRooms.has(room);
  }

  private join(room: string, identity: string, entry: RoomParticipant): void {
    this.room(room).participants.set(identity, entry);
    this.emit('participantJoined', room, identity);
  }

  private leave(room: string, identity: string): void {
    if (this.rooms.get(room)?.participants.delete(identity)) this.emit('participantLeft', room, identity);
  }

  private room(name: string): Room {
    let room = this.rooms.get(name);
    if (!room) this.rooms.set(name, (room = { participants: new Map() }));
    return room;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = (req.url ?? '').replace(/^\/twirp\//, '');
    let request: Record<string, unknown> = {};
    const send = (status: number, payload: unknown, error?: string) => {
      const call: EmulatorCall = error === undefined ? { method, status, request } : { method, status, request, error };
      this.calls.push(call);
      this.emit('call', call);
      if (res.writableEnded || res.destroyed) return;
      res.writeHead(status, { 'content-type': 'application/json' }); // exactly this, or the SDK ignores error bodies
      res.end(JSON.stringify(payload));
    };
    try {
      const text = await readBody(req);
      request = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      const handler = this.handlers[method];
      if (req.method !== 'POST' || !handler) {
        throw new TwirpFailure(404, 'bad_route', `no handler for path "${req.url}"`, { twirp_invalid_route: `${req.method} ${req.url}` });
      }
      const grants = await this.authenticate(req.headers.authorization);
      send(200, await handler(request, grants));
    } catch (e) {
      if (e instanceof Unreachable) {
        this.calls.push({ method, status: 0, request, error: 'connection dropped (unreachable)' });
        req.socket.destroy();
        return;
      }
      if (e instanceof TokenRejected) {
        this.calls.push({ method, status: 401, request, error: e.logged });
        res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(e.body);
        return;
      }
      const f = e instanceof TwirpFailure ? e : new TwirpFailure(500, 'internal', (e as Error).message);
      send(f.status, f.meta ? { code: f.code, msg: f.message, meta: f.meta } : { code: f.code, msg: f.message }, f.message);
    }
  }

  /** As livekit-server's auth middleware: no token is no grants (each call then refuses); a bad token is refused here. */
  private async authenticate(header: string | undefined): Promise<ClaimGrants> {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) return {};
    let issuer: unknown;
    try {
      issuer = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iss?: unknown }).iss;
    } catch {
      throw new TokenRejected('invalid authorization token', 'invalid authorization token');
    }
    if (issuer !== this.options.apiKey) throw new TokenRejected(`invalid API key: ${String(issuer)}`, `invalid API key: ${String(issuer)}`);
    try {
      return await this.verifier.verify(token);
    } catch (e) {
      // The server's words for a bad signature (its JWT library's); any other reason in jose's words.
      const why = (e as { code?: string }).code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' ? 'token signature is invalid: signature is invalid' : (e as Error).message;
      throw new TokenRejected(`invalid token: ${token}, error: ${why}`, `invalid token: [token], error: ${why}`);
    }
  }

  private async createSipParticipant(body: unknown, grants: ClaimGrants): Promise<unknown> {
    if (!grants.sip?.call) throw permissionDenied();
    const req = CreateSIPParticipantRequest.fromJson(body as never, { ignoreUnknownFields: true });
    if (!req.sipCallTo) throw new TwirpFailure(400, 'invalid_argument', 'sip_call_to is required');
    if (this.deletedRooms.has(req.roomName)) throw roomNotFound();
    const ringing = Number(req.ringingTimeout?.seconds ?? 30n);
    const plan = sipPlan(this.options.sip?.[req.sipCallTo], ringing);
    const scale = this.options.timeScale ?? 1;
    const room = this.room(req.roomName);
    const identity = req.participantIdentity || 'sip-participant';
    const info = new ParticipantInfo({ identity, sid: `PA_${identity}`, name: req.participantName });
    const result = () => new SIPParticipantInfo({ participantId: info.sid, participantIdentity: identity, roomName: req.roomName, sipCallId: `SCL_${identity}` }).toJson();

    if (plan.unreachable) {
      await delay(plan.seconds * 1000 * scale);
      throw new Unreachable();
    }
    if (!req.waitUntilAnswered) {
      this.join(req.roomName, identity, { info, subscriptions: new Map() });
      return result();
    }
    // Ringing: the participant exists (it can be removed, which cancels the call) until the outcome.
    const ended = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), plan.seconds * 1000 * scale);
      this.join(req.roomName, identity, {
        subscriptions: new Map(),
        info,
        endRinging: () => {
          clearTimeout(timer);
          resolve(true);
        },
      });
    });
    const entry = room.participants.get(identity);
    if (entry) delete entry.endRinging;
    if (ended) throw dialEnded();
    if (plan.outcome === 'answered') return result();
    this.leave(req.roomName, identity);
    // Known difference: a leg that rings past ringingTimeout is plan.ts's 480 here (model mode reports the same), where
    // livekit-sip answers dialEnded() with no SIP status; both are no-answer to describeFailure.
    throw sipFailure(plan.sipStatus ?? 503);
  }

  /**
   * An explicit dispatch: answered at once with the dispatch, as livekit-server does; the job is then offered to a
   * worker of that agent (`agents.dispatch`), which has to be registered within its usual wait.
   */
  private async createDispatch(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const req = CreateAgentDispatchRequest.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, req.room);
    const id = `AD_emu${String(this.nextDispatch++).padStart(4, '0')}`;
    this.room(req.room);
    this.agents.dispatch({ room: req.room, agentName: req.agentName, metadata: req.metadata, dispatchId: id }).catch(() => undefined); // a job nobody takes: as on the server, nobody hears of it
    return new AgentDispatch({ id, agentName: req.agentName, room: req.room, metadata: req.metadata, state: new AgentDispatchState({ createdAt: BigInt(Date.now()) * 1_000_000n }) }).toJson();
  }

  private async deleteRoom(body: unknown, grants: ClaimGrants): Promise<unknown> {
    if (!grants.video?.roomCreate) throw permissionDenied();
    const { room } = DeleteRoomRequest.fromJson(body as never, { ignoreUnknownFields: true });
    if (this.deletedRooms.has(room)) throw roomNotFound();
    for (const p of this.rooms.get(room)?.participants.values() ?? []) p.endRinging?.();
    this.rooms.delete(room);
    this.deletedRooms.add(room);
    this.emit('roomDeleted', room);
    return new DeleteRoomResponse().toJson();
  }

  private requireAdmin(grants: ClaimGrants, room: string): void {
    if (!grants.video?.roomAdmin || (grants.video.room && grants.video.room !== room)) {
      throw permissionDenied();
    }
  }

  /** A participant in a room that is there: in a room that is gone or never was, nobody is. */
  private present(room: string, identity: string): RoomParticipant | undefined {
    return this.deletedRooms.has(room) ? undefined : this.rooms.get(room)?.participants.get(identity);
  }

  /** livekit-server looks the participant up in its store first. */
  private participantOrFail(room: string, identity: string) {
    const p = this.present(room, identity);
    if (!p) throw participantNotFound();
    return p;
  }

  /** A participant reached through its RPC topic (see NO_RESPONSE_MS). */
  private async participantOrNoResponse(room: string, identity: string) {
    const p = this.present(room, identity);
    if (p) return p;
    await delay(NO_RESPONSE_MS * (this.options.timeScale ?? 1));
    throw noResponse();
  }

  private async removeParticipant(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const { room, identity } = RoomParticipantIdentity.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, room);
    const p = this.participantOrFail(room, identity);
    p.endRinging?.(); // removing a ringing SIP participant cancels the call
    this.leave(room, identity);
    return new RemoveParticipantResponse().toJson();
  }

  private async mutePublishedTrack(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const req = MuteRoomTrackRequest.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, req.room);
    const p = await this.participantOrNoResponse(req.room, req.identity);
    // livekit-server checks this before it looks for the track: a remote unmute is refused whatever the track.
    if (!req.muted && !this.options.enableRemoteUnmute) throw failure('failed_precondition', 'remote unmute not enabled');
    const track = p.info.tracks.find((t) => t.sid === req.trackSid);
    // A track the participant does not have is no error there: the response simply holds no track.
    if (!track) return new MuteRoomTrackResponse().toJson();
    // A mute changes the track, never the participant's permissions.
    track.muted = req.muted;
    return new MuteRoomTrackResponse({ track }).toJson();
  }

  /**
   * A participant's subscriptions, set server-side (what `subscriptions` holds: track sid → subscribed). They change
   * what that participant receives, never the track nor anyone's permissions.
   */
  private async updateSubscriptions(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const req = UpdateSubscriptionsRequest.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, req.room);
    const p = await this.participantOrNoResponse(req.room, req.identity);
    for (const sid of req.trackSids) p.subscriptions.set(sid, req.subscribe);
    return new UpdateSubscriptionsResponse().toJson();
  }

  private async updateParticipant(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const req = UpdateParticipantRequest.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, req.room);
    const p = this.participantOrFail(req.room, req.identity);
    // Permissions change what the participant may do next; they neither mute nor unmute a published track.
    if (req.permission) p.info.permission = req.permission;
    if (req.metadata) p.info.metadata = req.metadata;
    if (req.name) p.info.name = req.name;
    return p.info.toJson();
  }
}

class Unreachable extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const delay = (ms: number) => new Promise((r) => setTimeout(r, ms));
