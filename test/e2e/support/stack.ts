/**
 * The real stack the e2e tests run against (scripts/livekit-stack.sh): where it is, its credentials (read from the
 * checked-in stack/livekit.yaml, the one place they are written), and LiveKit's own server clients for it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentDispatchClient, RoomServiceClient, SipClient } from 'livekit-server-sdk';

export const ROOT = join(import.meta.dirname, '..', '..', '..');

function fromEnv(name: string): string {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set: run the e2e suite with \`npm run test:e2e\` (scripts/livekit-stack.sh sets it inside the stack's network namespace)`);
  return v;
}

/** `keys:` in stack/livekit.yaml: one `key: secret` pair. */
function credentials(): { key: string; secret: string } {
  const yaml = readFileSync(join(ROOT, 'stack', 'livekit.yaml'), 'utf8');
  const m = /^keys:\s*\n(?:\s*#.*\n)*\s+([\w-]+):\s*([\w-]+)\s*$/m.exec(yaml);
  if (!m) throw new Error('stack/livekit.yaml: expected `keys:` with one `key: secret` line');
  return { key: m[1]!, secret: m[2]! };
}

export const STACK = (() => {
  const ip = fromEnv('LK_E2E_SRV_IP');
  return {
    ...credentials(),
    /** The server as the agent and the callers reach it. */
    wsUrl: `ws://${ip}:7880`,
    httpUrl: `http://${ip}:7880`,
    ip,
    agentNs: fromEnv('LK_E2E_AGENT_NS'),
    agentIp: fromEnv('LK_E2E_AGENT_IP'),
    logs: fromEnv('LK_E2E_LOGS'),
  };
})();

export const roomService = () => new RoomServiceClient(STACK.httpUrl, STACK.key, STACK.secret);
export const sipService = () => new SipClient(STACK.httpUrl, STACK.key, STACK.secret);
export const dispatchService = () => new AgentDispatchClient(STACK.httpUrl, STACK.key, STACK.secret);

let n = 0;
/** A room name no other test (or earlier run against the same redis) uses. */
export const uniqueRoom = (what: string) => `e2e-${what}-${process.pid}-${Date.now().toString(36)}-${n++}`;

/** Polls `probe` until it returns something other than undefined, or fails naming `what`. */
export async function eventually<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, timeoutMs = 30_000, everyMs = 100): Promise<T> {
  const t0 = performance.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (performance.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (stack logs: ${STACK.logs})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

type LogLine = { msg?: string; [k: string]: unknown };

/** A stack service's own log (JSON lines), as a test reads what the service did. */
function stackLog(name: 'livekit-sip' | 'livekit-server'): LogLine[] {
  const file = join(STACK.logs, `${name}.log`);
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine);
}

/** livekit-sip's log: what the bridge did with a leg. */
export const sipBridgeLog = () => stackLog('livekit-sip');
/** livekit-server's log. */
export const serverLog = () => stackLog('livekit-server');
/** livekit-server's log of the API requests of one method (`RoomService.UpdateSubscriptions`), with their status. */
export const serverApiLog = (method: string) => serverLog().filter((l) => l.msg === `API ${method}`);

/**
 * Cuts the agent's network for `ms` (its veth end in the agent's namespace goes down, then up again): every packet
 * between the agent and the server is lost meanwhile, as on a real network fault.
 */
export async function cutAgentLink(ms: number): Promise<void> {
  const link = (state: 'down' | 'up') => execFileSync('ip', ['-n', STACK.agentNs, 'link', 'set', 'lk-agent', state]);
  link('down');
  try {
    await new Promise((r) => setTimeout(r, ms));
  } finally {
    link('up');
  }
}
