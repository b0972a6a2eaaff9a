/**
 * The server side of LiveKit's agent worker protocol, for the framework's unmodified worker (`cli.runApp` /
 * `AgentServer`) to connect to through `LIVEKIT_URL`. It speaks what `@livekit/agents`' `worker.ts` speaks: a
 * WebSocket at `{url}/agent`, authenticated by a bearer JWT with the `agent` grant, carrying protobuf
 * `WorkerMessage` (worker → server) and `ServerMessage` (server → worker) from `@livekit/protocol`:
 *   register → RegisterWorkerResponse; updateWorker (load, status: WS_FULL while draining);
 *   availability request → the worker's availability answer → JobAssignment (room URL and a join token);
 *   JobTermination (the server ends a job: the worker closes that job's process).
 * There is no SFU behind it: a job that calls `ctx.connect()` cannot join a room here.
 */
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import {
  AvailabilityRequest,
  Job,
  JobAssignment,
  JobState,
  JobStatus,
  JobTermination,
  JobType,
  RegisterWorkerResponse,
  Room,
  ServerInfo,
  ServerInfo_Edition,
  ServerMessage,
  WorkerMessage,
  WorkerStatus,
} from '@livekit/protocol';
import { AccessToken, type TokenVerifier } from 'livekit-server-sdk';
import { WebSocketServer, type WebSocket } from 'ws';

/** One connected worker, as the server sees it. */
export interface WorkerConnection {
  id: string;
  agentName: string;
  /** Last status the worker reported (WS_FULL while it drains or is above its load threshold). */
  status: WorkerStatus;
  load: number;
  /** Resolves when the worker's WebSocket closes. */
  closed: Promise<void>;
}

export interface DispatchRequest {
  room: string;
  /** The job's dispatch metadata (`ctx.job.metadata`). */
  metadata?: string;
  /** The room's metadata (`ctx.job.room.metadata`). */
  roomMetadata?: string;
  agentName?: string;
  /** The dispatch's id, when CreateDispatch made it (its response named it already). */
  dispatchId?: string;
}

export interface DispatchedJob {
  job: Job;
  /** The identity the worker chose for the agent participant. */
  identity: string;
  workerId: string;
}

type Events = {
  workerRegistered: [WorkerConnection];
  workerStatus: [WorkerConnection];
  workerClosed: [WorkerConnection];
  jobAssigned: [DispatchedJob];
  jobRejected: [Job];
};

interface Conn extends WorkerConnection {
  ws: WebSocket;
  pending: Map<string, { job: Job; resolve: (j: DispatchedJob) => void; reject: (e: Error) => void }>;
}

export class AgentDispatchEmulator extends EventEmitter<Events> {
  private readonly wss = new WebSocketServer({ noServer: true });
  private readonly conns = new Set<Conn>();
  private nextWorker = 1;
  private nextJob = 1;

  constructor(
    private readonly o: { apiKey: string; apiSecret: string; verifier: TokenVerifier },
  ) {
    super();
  }

  get workers(): WorkerConnection[] {
    return [...this.conns];
  }

  /** Takes the HTTP upgrade for `/agent`; returns false for any other path (not ours). */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/agent') return false;
    void this.authenticate(req.headers.authorization).then(
      () => this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws)),
      (e: Error) => {
        // As LiveKit: the upgrade is refused with 401 and the worker retries (and gives up after maxRetry).
        socket.end(`HTTP/1.1 401 Unauthorized\r\ncontent-type: text/plain\r\n\r\n${e.message}`);
      },
    );
    return true;
  }

  /** The first worker to register (of `agentName`, when it is given; waits for one). */
  worker(timeoutMs = 30_000, agentName?: string): Promise<WorkerConnection> {
    const fits = (c: WorkerConnection) => Boolean(c.id) && (agentName === undefined || c.agentName === agentName);
    const first = [...this.conns].find(fits);
    if (first) return Promise.resolve(first);
    return withTimeout(
      new Promise((resolve) => {
        const registered = (c: WorkerConnection) => {
          if (!fits(c)) return;
          this.off('workerRegistered', registered);
          resolve(c);
        };
        this.on('workerRegistered', registered);
      }),
      timeoutMs,
      `no worker${agentName === undefined ? '' : ` of agent "${agentName}"`} registered`,
    );
  }

  /**
   * Offers a job to a registered worker (of `agentName`, when it is given), as LiveKit's dispatch does; resolves once it
   * is assigned.
   */
  async dispatch(r: DispatchRequest, timeoutMs = 30_000): Promise<DispatchedJob> {
    const conn = (await this.worker(timeoutMs, r.agentName)) as Conn;
    const id = `AJ_emu${String(this.nextJob++).padStart(4, '0')}`;
    const job = new Job({
      id,
      dispatchId: r.dispatchId ?? `AD_${id}`,
      type: JobType.JT_ROOM,
      // livekit-server's room defaults (empty_timeout 300 s, departure_timeout 20 s), as the job it offers carries them.
      room: new Room({ sid: `RM_${r.room}`, name: r.room, metadata: r.roomMetadata ?? '', emptyTimeout: 300, departureTimeout: 20 }),
      agentName: r.agentName ?? conn.agentName,
      metadata: r.metadata ?? '',
      state: new JobState({ status: JobStatus.JS_RUNNING, workerId: conn.id }),
    });
    const assigned = new Promise<DispatchedJob>((resolve, reject) => conn.pending.set(id, { job, resolve, reject }));
    this.send(conn, new ServerMessage({ message: { case: 'availability', value: new AvailabilityRequest({ job }) } }));
    return withTimeout(assigned, timeoutMs, `job ${id} was not accepted`);
  }

  /** The server ends a job (a room closed from the dashboard, a dispatch deleted): JobTermination. */
  terminate(jobId: string): void {
    for (const c of this.conns) this.send(c, new ServerMessage({ message: { case: 'termination', value: new JobTermination({ jobId }) } }));
  }

  /** Closes every worker connection, as a server going away would. */
  async close(): Promise<void> {
    for (const c of this.conns) c.ws.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async authenticate(header: string | undefined): Promise<void> {
    const token = header?.startsWith('Bearer ') ? header.slice(7) : undefined;
    if (!token) throw new Error('missing bearer token');
    const grants = await this.o.verifier.verify(token);
    if (!grants.video?.agent) throw new Error('requires the agent grant');
  }

  private accept(ws: WebSocket): void {
    let resolveClosed!: () => void;
    const conn: Conn = {
      id: '',
      agentName: '',
      status: WorkerStatus.WS_AVAILABLE,
      load: 0,
      closed: new Promise((r) => (resolveClosed = r)),
      ws,
      pending: new Map(),
    };
    this.conns.add(conn);
    ws.on('message', (data: Buffer) => void this.onMessage(conn, WorkerMessage.fromBinary(new Uint8Array(data))));
    ws.on('close', () => {
      this.conns.delete(conn);
      for (const p of conn.pending.values()) p.reject(new Error(`worker ${conn.id} disconnected`));
      resolveClosed();
      this.emit('workerClosed', conn);
    });
  }

  private async onMessage(conn: Conn, msg: WorkerMessage): Promise<void> {
    const m = msg.message;
    switch (m.case) {
      case 'register': {
        conn.id = `AW_emu${this.nextWorker++}`;
        conn.agentName = m.value.agentName;
        this.send(
          conn,
          new ServerMessage({
            message: {
              case: 'register',
              value: new RegisterWorkerResponse({
                workerId: conn.id,
                serverInfo: new ServerInfo({ edition: ServerInfo_Edition.Standard, version: 'emulator', protocol: 17, agentProtocol: 1 }),
              }),
            },
          }),
        );
        this.emit('workerRegistered', conn);
        return;
      }
      case 'updateWorker':
        if (m.value.status !== undefined) conn.status = m.value.status;
        conn.load = m.value.load;
        this.emit('workerStatus', conn);
        return;
      case 'availability': {
        const pending = conn.pending.get(m.value.jobId);
        if (!pending) return;
        conn.pending.delete(m.value.jobId);
        if (!m.value.available) {
          this.emit('jobRejected', pending.job);
          pending.reject(new Error(`worker ${conn.id} rejected job ${m.value.jobId}`));
          return;
        }
        const identity = m.value.participantIdentity || `agent-${m.value.jobId}`;
        // The join token as livekit-server makes it (test/e2e/contract.test.ts): an agent participant, named after
        // its agent in its attributes.
        const token = new AccessToken(this.o.apiKey, this.o.apiSecret, {
          identity,
          name: m.value.participantName || identity,
          attributes: { 'lk.agent_name': pending.job.agentName },
        });
        token.kind = 'agent';
        token.addGrant({ roomJoin: true, room: pending.job.room?.name ?? '', agent: true, canPublish: true, canSubscribe: true, canPublishData: true, canUpdateOwnMetadata: true, canSubscribeMetrics: false });
        if (pending.job.state) pending.job.state.participantIdentity = identity;
        // No URL, as livekit-server sends none: the worker joins the server it registered with.
        const assignment = new JobAssignment({ job: pending.job, token: await token.toJwt() });
        this.send(conn, new ServerMessage({ message: { case: 'assignment', value: assignment } }));
        const dispatched: DispatchedJob = { job: pending.job, identity, workerId: conn.id };
        this.emit('jobAssigned', dispatched);
        pending.resolve(dispatched);
        return;
      }
      default:
        return; // ping, updateJob, simulateJob, migrateJob: nothing the tests rely on
    }
  }

  private send(conn: Conn, msg: ServerMessage): void {
    if (conn.ws.readyState === conn.ws.OPEN) conn.ws.send(msg.toBinary());
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms))),
  ]);
}
