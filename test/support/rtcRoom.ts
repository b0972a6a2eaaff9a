/**
 * The agent's side of a LiveKit room without an SFU: a real rtc-node `Room` whose participants, events and RPC
 * dispatch are rtc-node's own, fed what the Rust core would feed it.
 *
 * Real (rtc-node 0.13's own code and types):
 *  - the `Room` (its EventEmitter, `remoteParticipants`, `localParticipant`), the `RoomEvent`s it emits and their
 *    payloads: `DisconnectReason` values, `Participant[]`, `RemoteParticipant`;
 *  - `RemoteParticipant`, `LocalParticipant` and `RemoteTrackPublication`, built by their own constructors from the
 *    FFI protobufs the Rust core sends (`@livekit/rtc-ffi-bindings`, the exact version rtc-node pins and resolves), so
 *    `identity`, `sid`, `kind`, `disconnectReason`, `trackPublications` and a publication's `source` are rtc-node's getters;
 *  - the RPC dispatch: `LocalParticipant.registerRpcMethod` stores the handler, and an invocation goes through
 *    `LocalParticipant.handleRpcMethodInvocation` exactly as the room hands it an `rpcMethodInvocation` FFI event
 *    (handler lookup, `RpcError` passed through, any other error turned into APPLICATION_ERROR, an unknown method
 *    UNSUPPORTED_METHOD); the answer the caller gets is rebuilt with `RpcError.fromProto`, as `performRpc` does.
 *
 * Stand-ins for the Rust core (no SFU, so no FFI handles):
 *  - every participant and publication gets a placeholder handle id that the core never issued, released at once
 *    (see `placeholderHandle`);
 *  - the room never connects: its FFI handle is private and only a real connect sets it, so rtc-node's own event
 *    processing (`Room.processFfiEvent`) never runs. Each method below does to the room what that code does for the
 *    FFI event it names, then emits the same `RoomEvent` with the same payload (`join` excepted: see there);
 *  - the local participant's two RPC requests to the core (register a method with the SFU, send a response back) are
 *    answered here, for that participant's handle only; every other FFI request goes to the core unchanged.
 *
 * What this means for an AgentSession started on the room: its RoomIO waits for the room to connect, so it stays
 * dormant (no track published, no participant linked, no agent-state attribute set). LiveKit's own away timer waits
 * for a linked participant and so never runs: presence here is the call machine's own window.
 */
import { Mutex } from '@livekit/mutex';
import {
  OwnedParticipant,
  OwnedTrackPublication,
  ParticipantInfo,
  RegisterRpcMethodResponse,
  RpcMethodInvocationResponseRequest,
  RpcMethodInvocationResponseResponse,
  TrackPublicationInfo,
  UnregisterRpcMethodResponse,
} from '@livekit/rtc-ffi-bindings';
import {
  AudioFrame,
  DisconnectReason,
  LocalParticipant,
  ParticipantKind,
  RemoteParticipant,
  RemoteTrackPublication,
  Room,
  RoomEvent,
  RpcError,
  TrackKind,
  TrackSource,
  type Participant,
} from '@livekit/rtc-node';

export interface TrackSpec {
  sid: string;
  source: TrackSource;
  /** Default: audio for a microphone or screen-share audio, video otherwise. */
  kind?: TrackKind;
}

export interface ParticipantSpec {
  identity: string;
  /** Default STANDARD (a web or app client); SIP for a phone leg. */
  kind?: ParticipantKind;
  tracks?: TrackSpec[];
  attributes?: Record<string, string>;
}

/** What a participant calling an RPC method on the agent gets back: rtc-node's `performRpc` resolves or throws. */
export interface RpcCall {
  callerIdentity: string;
  method: string;
  payload: string;
  /** Milliseconds, as `PerformRpcParams.responseTimeout` (rtc-node's default: 10 s). */
  responseTimeout?: number;
}

const AUDIO_SOURCES: readonly TrackSource[] = [TrackSource.SOURCE_MICROPHONE, TrackSource.SOURCE_SCREENSHARE_AUDIO];

type FfiClient = NonNullable<typeof globalThis._ffiClientInstance>;
type FfiRequest = Parameters<FfiClient['request']>[0];

// Handle ids the Rust core hands out count up from 1; these are far above anything a test process reaches.
let nextPlaceholder = 1n << 48n;

/**
 * A handle id for an object the Rust core never created. rtc-node wraps it in a native `FfiHandle` whose GC finaliser
 * asks the core to drop the id, and for an id the core does not know that drop throws from the finaliser (an uncaught
 * error that kills the test process). `FfiHandle.dispose()` marks the handle disposed before it asks the core (it then
 * throws the same error, caught here), so the finaliser later does nothing. The id itself stays readable
 * (`ffi_handle.handle`), which is what rtc-node puts in the requests it makes for the object.
 */
function placeholderHandle(): { id: bigint } {
  return { id: nextPlaceholder++ };
}

function release(handle: { dispose(): void }): void {
  try {
    handle.dispose();
  } catch {
    // "trying to drop an invalid handle": expected, the core never issued this id (see placeholderHandle).
  }
}

function remoteParticipant(spec: ParticipantSpec): RemoteParticipant {
  const info = new ParticipantInfo({
    sid: `PA_${spec.identity}`,
    identity: spec.identity,
    name: spec.identity,
    metadata: '',
    kind: spec.kind ?? ParticipantKind.STANDARD,
    attributes: spec.attributes ?? {},
  });
  const participant = new RemoteParticipant(new OwnedParticipant({ handle: placeholderHandle(), info }));
  release(participant.ffi_handle);
  // As Room.connect adds a participant's publications from the connect callback (and `trackPublished` adds later ones).
  for (const t of spec.tracks ?? []) {
    const kind = t.kind ?? (AUDIO_SOURCES.includes(t.source) ? TrackKind.KIND_AUDIO : TrackKind.KIND_VIDEO);
    const publication = new RemoteTrackPublication(
      new OwnedTrackPublication({ handle: placeholderHandle(), info: new TrackPublicationInfo({ sid: t.sid, name: t.sid, kind, source: t.source, remote: true }) }),
    );
    release(publication.ffiHandle);
    participant.trackPublications.set(t.sid, publication);
  }
  return participant;
}

/** rtc-node's FFI client (the one way into the Rust core), created on first use as any rtc-node call creates it. */
function ffiClient(): FfiClient {
  // A frame's pointer lookup is the cheapest first use: it allocates nothing in the core.
  if (!globalThis._ffiClientInstance) AudioFrame.create(16000, 1, 1).protoInfo();
  const client = globalThis._ffiClientInstance;
  if (!client) throw new Error("rtc-node's FFI client was not created");
  return client;
}

export class CallRoom {
  readonly room = new Room();
  readonly local: LocalParticipant;
  private readonly localHandle: bigint;
  private readonly disconnectController = new AbortController();
  private connected = true;
  private invocations = 0n;
  private readonly pending = new Map<bigint, (response: RpcMethodInvocationResponseRequest) => void>();
  /** RPC methods the local participant registered with the "SFU" (the core's side of registerRpcMethod). */
  readonly registeredRpcMethods = new Set<string>();
  private readonly restoreFfi: () => void;

  /** The room as `Room.connect` leaves it: the agent's local participant and everyone already there, with their tracks. */
  constructor(o: { agent: string; participants: ParticipantSpec[] }) {
    const handle = placeholderHandle();
    this.localHandle = handle.id;
    this.local = new LocalParticipant(
      new OwnedParticipant({ handle, info: new ParticipantInfo({ sid: `PA_${o.agent}`, identity: o.agent, name: o.agent, metadata: '', kind: ParticipantKind.AGENT }) }),
      new Mutex(),
      this.disconnectController.signal,
    );
    release(this.local.ffi_handle);
    this.room.localParticipant = this.local;
    for (const spec of o.participants) this.room.remoteParticipants.set(spec.identity, remoteParticipant(spec));
    this.restoreFfi = this.answerLocalRpcRequests();
  }

  /** A participant in the room (not the agent), as `room.remoteParticipants` has it. */
  participant(identity: string): RemoteParticipant {
    const p = this.room.remoteParticipants.get(identity);
    if (!p) throw new Error(`${identity} is not in the room`);
    return p;
  }

  /**
   * A participant joins (a SIP leg): added to `remoteParticipants`, where rtc-node's `participantConnected` puts it, so
   * that later events about it resolve. `ParticipantConnected` itself is emitted only with `announce` (the caller hold
   * listens to it): otherwise the session's dormant RoomIO could take this participant as the one it serves (in
   * production it linked the caller when the room connected, and ignores later joins).
   */
  join(spec: ParticipantSpec, o: { announce?: boolean } = {}): RemoteParticipant {
    const p = remoteParticipant(spec);
    this.room.remoteParticipants.set(p.identity, p);
    if (o.announce) this.room.emit(RoomEvent.ParticipantConnected, p);
    return p;
  }

  /**
   * FFI room event `participantDisconnected`: the participant is removed, its `disconnectReason` set (e.g.
   * CLIENT_INITIATED: they hung up), then `ParticipantDisconnected` with the same object. rtc-node emits nothing for an
   * identity it does not know; here that is a mistake in the test.
   */
  leave(identity: string, reason: DisconnectReason = DisconnectReason.CLIENT_INITIATED): void {
    const p = this.participant(identity);
    this.room.remoteParticipants.delete(identity);
    p.info.disconnectReason = reason;
    this.room.emit(RoomEvent.ParticipantDisconnected, p);
  }

  /**
   * FFI room event `activeSpeakersChanged`: the identities resolved to participants (the agent's own local participant
   * included), then `ActiveSpeakersChanged` with them, loudest first. An unknown identity makes rtc-node drop the whole
   * update; here that is a mistake in the test.
   */
  activeSpeakers(identities: string[]): void {
    const speakers: Participant[] = identities.map((id) => (id === this.local.identity ? this.local : this.participant(id)));
    this.room.emit(RoomEvent.ActiveSpeakersChanged, speakers);
  }

  /**
   * FFI room event `disconnected` (the connection ended: ROOM_DELETED, SIGNAL_CLOSE, ...): Room.cleanupOnDisconnect,
   * which runs once per connection, aborts the local participant's pending requests and emits `Disconnected(reason)`.
   * Returns whether it emitted (false: this connection had already ended).
   */
  disconnect(reason: DisconnectReason): boolean {
    if (!this.connected) return false;
    this.connected = false;
    this.disconnectController.abort();
    this.room.emit(RoomEvent.Disconnected, reason);
    return true;
  }

  /**
   * `room.disconnect()`, as the framework's job process calls it on its way out: on a connected room the cleanup
   * emits `Disconnected(CLIENT_INITIATED)`; then every listener is removed. On a room already disconnected, nothing.
   */
  clientDisconnect(): void {
    if (!this.connected) return;
    this.disconnect(DisconnectReason.CLIENT_INITIATED);
    this.room.removeAllListeners();
  }

  /**
   * A participant calls `method` on the agent (`performRpc` on their side): the agent's room hands the invocation to
   * `LocalParticipant.handleRpcMethodInvocation`; the payload it answers with resolves, an error it answers with is
   * thrown as the `RpcError` the caller's rtc-node rebuilds from it.
   */
  async performRpc(call: RpcCall): Promise<string> {
    const invocationId = ++this.invocations;
    const answered = new Promise<RpcMethodInvocationResponseRequest>((resolve) => this.pending.set(invocationId, resolve));
    await this.local.handleRpcMethodInvocation(invocationId, call.method, crypto.randomUUID(), call.callerIdentity, call.payload, call.responseTimeout ?? 10_000);
    const response = await answered;
    if (response.error) throw RpcError.fromProto(response.error);
    return response.payload ?? '';
  }

  /** Gives the core's FFI requests back to the core. */
  dispose(): void {
    this.restoreFfi();
  }

  /**
   * The Rust core's side of the local participant's RPC: registering a method (the core tells the SFU) and receiving
   * the response to an invocation (the core sends it to the caller). Only requests for this participant's handle.
   */
  private answerLocalRpcRequests(): () => void {
    const ffi = ffiClient();
    const core = ffi.request;
    const mine = (handle: bigint | undefined) => handle === this.localHandle;
    const request = <T>(req: FfiRequest): T => {
      const m = req.message;
      // The casts: `request<T>` returns whatever response type its caller names; these are the responses the core
      // sends for these requests.
      if (m?.case === 'registerRpcMethod' && mine(m.value.localParticipantHandle)) {
        this.registeredRpcMethods.add(m.value.method ?? '');
        return new RegisterRpcMethodResponse() as T;
      }
      if (m?.case === 'unregisterRpcMethod' && mine(m.value.localParticipantHandle)) {
        this.registeredRpcMethods.delete(m.value.method ?? '');
        return new UnregisterRpcMethodResponse() as T;
      }
      if (m?.case === 'rpcMethodInvocationResponse' && mine(m.value.localParticipantHandle)) {
        const response = new RpcMethodInvocationResponseRequest(m.value);
        const invocationId = response.invocationId ?? 0n;
        this.pending.get(invocationId)?.(response);
        this.pending.delete(invocationId);
        return new RpcMethodInvocationResponseResponse() as T;
      }
      return core.call(ffi, req) as T;
    };
    ffi.request = request;
    return () => {
      if (ffi.request === request) ffi.request = core;
    };
  }
}
