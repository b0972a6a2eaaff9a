/**
 * An embedded stand-in for LiveKit's server API, for tests and local mode. It speaks Twirp over HTTP with JSON
 * bodies, exactly as `livekit-server-sdk` sends them, for every call the agent makes:
 *   livekit.SIP/CreateSIPParticipant, livekit.RoomService/{DeleteRoom, RemoveParticipant, MutePublishedTrack,
 *   UpdateParticipant, UpdateSubscriptions}.
 * It verifies the bearer JWT (HS256 with the API secret) and the grant each call needs (401 otherwise),
 * (de)serialises with @livekit/protocol's message types, and plays SIP outcomes from a scenario's `sip` map.
 * It binds to 127.0.0.1 only. The agent reaches it through the unmodified SDK clients; only the URL differs.
 * On the same port it serves the agent worker protocol (`agentDispatch.ts`) for the framework's own worker.
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
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
}

/** One handled request, as tests and local mode see it. Never holds the token. */
export interface EmulatorCall {
  method: string;
  status: number;
  request: Record<string, unknown>;
  error?: string;
}

interface Room {
  participants: Map<string, { info: ParticipantInfo; subscriptions: Map<string, boolean>; ringing?: (status: number, reason: string) => void }>;
}

const SIP_REASONS: Record<number, string> = {
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  503: 'Service Unavailable',
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

type Handler = (body: unknown, grants: ClaimGrants) => Promise<unknown>;

export class LiveKitApiEmulator extends EventEmitter<{ call: [EmulatorCall]; roomDeleted: [string] }> {
  readonly calls: EmulatorCall[] = [];
  private readonly rooms = new Map<string, Room>();
  private readonly deletedRooms = new Set<string>();
  private readonly verifier: TokenVerifier;
  private server: Server | null = null;
  private readonly handlers: Record<string, Handler>;
  private url = '';
  /** The agent worker protocol on the same port: the framework's worker connects here through LIVEKIT_URL. */
  readonly agents: AgentDispatchEmulator;

  constructor(private readonly options: EmulatorOptions) {
    super();
    this.verifier = new TokenVerifier(options.apiKey, options.apiSecret);
    this.agents = new AgentDispatchEmulator({ apiKey: options.apiKey, apiSecret: options.apiSecret, verifier: this.verifier, url: () => this.url });
    this.handlers = {
      'livekit.SIP/CreateSIPParticipant': (b, g) => this.createSipParticipant(b, g),
      'livekit.RoomService/DeleteRoom': (b, g) => this.deleteRoom(b, g),
      'livekit.RoomService/RemoveParticipant': (b, g) => this.removeParticipant(b, g),
      'livekit.RoomService/MutePublishedTrack': (b, g) => this.mutePublishedTrack(b, g),
      'livekit.RoomService/UpdateParticipant': (b, g) => this.updateParticipant(b, g),
      'livekit.RoomService/UpdateSubscriptions': (b, g) => this.updateSubscriptions(b, g),
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
    for (const room of this.rooms.values()) for (const p of room.participants.values()) p.ringing?.(487, SIP_REASONS[487]!);
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

  /** What a participant was set to receive server-side (UpdateSubscriptions): track sid → subscribed. */
  subscriptions(room: string, identity: string): ReadonlyMap<string, boolean> | undefined {
    return this.rooms.get(room)?.participants.get(identity)?.subscriptions;
  }

  isDeleted(room: string): boolean {
    return this.deletedRooms.has(room);
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
      if (req.method !== 'POST' || !handler) throw new TwirpFailure(404, 'bad_route', `no handler for ${req.method} ${req.url}`);
      const grants = await this.authenticate(req.headers.authorization);
      send(200, await handler(request, grants));
    } catch (e) {
      if (e instanceof Unreachable) {
        this.calls.push({ method, status: 0, request, error: 'connection dropped (unreachable)' });
        req.socket.destroy();
        return;
      }
      const f = e instanceof TwirpFailure ? e : new TwirpFailure(500, 'internal', (e as Error).message);
      send(f.status, f.meta ? { code: f.code, msg: f.message, meta: f.meta } : { code: f.code, msg: f.message }, f.message);
    }
  }

  private async authenticate(header: string | undefined): Promise<ClaimGrants> {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) throw new TwirpFailure(401, 'unauthenticated', 'missing bearer token');
    try {
      return await this.verifier.verify(token);
    } catch (e) {
      throw new TwirpFailure(401, 'unauthenticated', `invalid token: ${(e as Error).message}`);
    }
  }

  private async createSipParticipant(body: unknown, grants: ClaimGrants): Promise<unknown> {
    if (!grants.sip?.call) throw new TwirpFailure(401, 'unauthenticated', 'requires the SIP call grant');
    const req = CreateSIPParticipantRequest.fromJson(body as never, { ignoreUnknownFields: true });
    if (!req.sipCallTo) throw new TwirpFailure(400, 'invalid_argument', 'sip_call_to is required');
    if (this.deletedRooms.has(req.roomName)) throw new TwirpFailure(404, 'not_found', `room ${req.roomName} does not exist`);
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
      room.participants.set(identity, { info, subscriptions: new Map() });
      return result();
    }
    // Ringing: the participant exists (it can be removed, which cancels the call) until the outcome.
    const status = await new Promise<number>((resolve) => {
      const timer = setTimeout(() => resolve(plan.sipStatus ?? 200), plan.seconds * 1000 * scale);
      room.participants.set(identity, {
        subscriptions: new Map(),
        info,
        ringing: (code) => {
          clearTimeout(timer);
          resolve(code);
        },
      });
    });
    const entry = room.participants.get(identity);
    if (entry) delete entry.ringing;
    if (status === 200 && plan.outcome === 'answered') return result();
    room.participants.delete(identity);
    throw new TwirpFailure(status === 487 ? 499 : 503, status === 487 ? 'canceled' : 'unavailable', 'sip call failed', {
      sip_status_code: String(status),
      sip_status: SIP_REASONS[status] ?? 'Error',
    });
  }

  private async deleteRoom(body: unknown, grants: ClaimGrants): Promise<unknown> {
    if (!grants.video?.roomCreate) throw new TwirpFailure(401, 'unauthenticated', 'requires the roomCreate grant');
    const { room } = DeleteRoomRequest.fromJson(body as never, { ignoreUnknownFields: true });
    if (this.deletedRooms.has(room)) throw new TwirpFailure(404, 'not_found', `room ${room} does not exist`);
    for (const p of this.rooms.get(room)?.participants.values() ?? []) p.ringing?.(487, SIP_REASONS[487]!);
    this.rooms.delete(room);
    this.deletedRooms.add(room);
    this.emit('roomDeleted', room);
    return new DeleteRoomResponse().toJson();
  }

  private requireAdmin(grants: ClaimGrants, room: string): void {
    if (!grants.video?.roomAdmin || (grants.video.room && grants.video.room !== room)) {
      throw new TwirpFailure(401, 'unauthenticated', `requires the roomAdmin grant for room ${room}`);
    }
  }

  private participantOrFail(room: string, identity: string) {
    const p = this.rooms.get(room)?.participants.get(identity);
    if (!p) throw new TwirpFailure(404, 'not_found', `participant ${identity} not found in room ${room}`);
    return p;
  }

  private async removeParticipant(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const { room, identity } = RoomParticipantIdentity.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, room);
    const p = this.participantOrFail(room, identity);
    p.ringing?.(487, SIP_REASONS[487]!); // removing a ringing SIP participant cancels the call
    this.rooms.get(room)?.participants.delete(identity);
    return new RemoveParticipantResponse().toJson();
  }

  private async mutePublishedTrack(body: unknown, grants: ClaimGrants): Promise<unknown> {
    const req = MuteRoomTrackRequest.fromJson(body as never, { ignoreUnknownFields: true });
    this.requireAdmin(grants, req.room);
    const p = this.participantOrFail(req.room, req.identity);
    const track = p.info.tracks.find((t) => t.sid === req.trackSid);
    if (!track) throw new TwirpFailure(404, 'not_found', `track ${req.trackSid} not found`);
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
    const p = this.participantOrFail(req.room, req.identity);
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
