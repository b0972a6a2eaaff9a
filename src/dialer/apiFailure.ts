/**
 * A failed LiveKit API request, described so that it is safe to log. livekit-server answers a token it refuses with
 * the token itself in its 401 body ("invalid token: <jwt>, error: ..."; measured in test/e2e/contract.test.ts), and
 * the SDK puts that body in the error's message: a 401 is therefore described, never quoted.
 */
import { TwirpError } from 'livekit-server-sdk';

export function apiFailureDetail(e: unknown): string {
  if (e instanceof TwirpError) {
    return e.status === 401
      ? `the LiveKit API rejected our credentials (401${e.code ? ` ${e.code}` : ''}): check LIVEKIT_API_KEY / LIVEKIT_API_SECRET`
      : `LiveKit API error ${e.status} ${e.code ?? ''}: ${e.message}`;
  }
  // fetch's own failure (no answer at all): a TypeError, its reason in `cause`.
  const cause = (e as { cause?: { code?: string } }).cause?.code;
  if (cause || (e instanceof TypeError && e.message === 'fetch failed')) return `LiveKit API unreachable${cause ? ` (${cause})` : ''}: ${(e as Error).message}`;
  return e instanceof Error ? e.message : String(e);
}
