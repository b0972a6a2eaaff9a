/**
 * A worker at the protocol level: a WebSocket to `{url}/agent` speaking @livekit/protocol's WorkerMessage and
 * ServerMessage, as @livekit/agents' worker.ts does, with none of its behaviour around them. The dispatch contract
 * uses it to see exactly what a server sends a worker (registration, the job offered, its assignment).
 */
import { JobType, ServerMessage, WorkerMessage, AvailabilityResponse, RegisterWorkerRequest } from '@livekit/protocol';
import { AccessToken } from 'livekit-server-sdk';
import { WebSocket } from 'ws';

export interface ProtocolWorker {
  /** The next message of a kind the server sends (in order of arrival). */
  next<C extends NonNullable<ServerMessage['message']['case']>>(kind: C, timeoutMs?: number): Promise<Extract<ServerMessage['message'], { case: C }>['value']>;
  /** Answers an availability request: takes the job as `identity`. */
  accept(jobId: string, identity: string): void;
  close(): void;
}

export async function connectWorker(url: string, key: string, secret: string, agentName: string): Promise<ProtocolWorker> {
  const token = new AccessToken(key, secret);
  token.addGrant({ agent: true });
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/agent`, { headers: { authorization: `Bearer ${await token.toJwt()}` } });
  const received: ServerMessage[] = [];
  const waiting: (() => void)[] = [];
  ws.on('message', (data: Buffer) => {
    received.push(ServerMessage.fromBinary(new Uint8Array(data)));
    for (const w of waiting.splice(0)) w();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const send = (m: WorkerMessage['message']) => ws.send(new WorkerMessage({ message: m }).toBinary());
  send({ case: 'register', value: new RegisterWorkerRequest({ type: JobType.JT_ROOM, agentName, version: 'contract' }) });
  return {
    async next(kind, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const i = received.findIndex((m) => m.message.case === kind);
        if (i >= 0) return received.splice(i, 1)[0]!.message.value as never;
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`no ${kind} message from the server within ${timeoutMs} ms`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiting.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
    accept(jobId, identity) {
      send({ case: 'availability', value: new AvailabilityResponse({ jobId, available: true, participantIdentity: identity, participantName: identity }) });
    },
    close: () => ws.close(),
  };
}
