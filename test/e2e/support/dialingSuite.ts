/**
 * The frame of an e2e describe that dials out: an outbound trunk to the sipp phone on `port` and a production worker
 * with `config(trunkId)` for the whole describe. After each test its call and phone are ended (`endTestCall`); after
 * all, the worker is stopped and the trunks removed. A test hands its phone and call to `s.phone(...)` / `s.call(...)`.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { AgentConfigInput } from '../../../src/config/schema.js';
import { startAgentWorker, type AgentWorker } from './agentWorker.js';
import { endTestCall, outboundTrunk, removeTrunks, type WebCall } from './call.js';
import type { Phone } from './phone.js';
import { STACK } from './stack.js';

export interface DialingSuite {
  /** The worker (from beforeAll on). */
  readonly worker: AgentWorker;
  /** This test's phone, ended after it. */
  phone<P extends Phone>(phone: P): P;
  /** This test's call, ended after it. */
  call<C extends WebCall>(call: C): C;
}

export function dialingSuite(port: number, config: (trunkId: string) => AgentConfigInput): DialingSuite {
  let worker: AgentWorker | undefined;
  let phone: Phone | undefined;
  let call: WebCall | undefined;
  beforeAll(async () => {
    worker = await startAgentWorker({ config: config(await outboundTrunk(port, STACK.ip)) });
  });
  afterEach(async () => {
    await endTestCall(call, phone);
    phone = undefined;
    call = undefined;
  });
  afterAll(async () => {
    await worker?.stop();
    await removeTrunks();
  });
  return {
    get worker() {
      if (!worker) throw new Error('dialingSuite: the worker is there from beforeAll on');
      return worker;
    },
    phone: (p) => (phone = p),
    call: (c) => (call = c),
  };
}
