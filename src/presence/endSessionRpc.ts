/**
 * Frontend-initiated end: the `agent.endSession` RPC method on the agent's participant. The payload is validated,
 * callers are limited by `endSession.allow`, and a valid request ends the call through the machine's close path.
 */
import { RpcError, type RpcInvocationData } from '@livekit/rtc-node';
import { z } from 'zod';

export const END_SESSION_RPC = 'agent.endSession';

const payloadSchema = z.strictObject({ reason: z.string().max(200).optional() });

export function identityAllowed(identity: string, allow: readonly string[]): boolean {
  return allow.some((p) => p === '*' || p === identity || (p.endsWith('*') && identity.startsWith(p.slice(0, -1))));
}

export interface EndSessionDeps {
  allow: readonly string[];
  /** Asks the machine to end the call. */
  end: () => void;
  log?: (fields: Record<string, unknown>, msg: string) => void;
}

export function endSessionHandler(deps: EndSessionDeps) {
  return async (data: RpcInvocationData): Promise<string> => {
    if (!identityAllowed(data.callerIdentity, deps.allow)) {
      deps.log?.({ caller: data.callerIdentity }, 'end-session RPC refused: caller not allowed by endSession.allow');
      throw new RpcError(RpcError.ErrorCode.APPLICATION_ERROR, `participant "${data.callerIdentity}" may not end this session (endSession.allow)`);
    }
    let payload: unknown = {};
    if (data.payload.trim()) {
      try {
        payload = JSON.parse(data.payload);
      } catch {
        throw new RpcError(RpcError.ErrorCode.APPLICATION_ERROR, 'invalid payload: expected JSON like {"reason":"user clicked end"}');
      }
    }
    const parsed = payloadSchema.safeParse(payload);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new RpcError(RpcError.ErrorCode.APPLICATION_ERROR, `invalid payload: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
    }
    deps.log?.({ caller: data.callerIdentity, reason: parsed.data.reason }, 'end-session RPC accepted');
    deps.end();
    return JSON.stringify({ ok: true });
  };
}
