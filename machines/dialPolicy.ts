/**
 * Which numbers may be dialed. Pure, shared by the machine's guard and the agent's add_participant tool, so a
 * number the tool refuses is exactly a number the machine would refuse.
 */
import type { DialRefusal } from './events.js';

/** E.164: a plus, a non-zero country digit, at most 15 digits in all. */
export const E164 = /^\+[1-9][0-9]{1,14}$/;

export interface DialPolicy {
  allow: readonly string[];
  deny: readonly string[];
}

/** How specifically `pattern` matches `number`: -1 when it does not match, else the length of the literal part. */
function specificity(pattern: string, number: string): number {
  if (pattern === '*') return 0;
  if (pattern.endsWith('*')) {
    const prefix = pattern.slice(0, -1);
    return number.startsWith(prefix) ? prefix.length : -1;
  }
  return pattern === number ? pattern.length + 1 : -1; // an exact number beats any prefix
}

const best = (patterns: readonly string[], number: string) =>
  patterns.reduce((acc, p) => Math.max(acc, specificity(p, number)), -1);

/**
 * Why `number` may not be dialed, or null when it may. The most specific matching pattern wins, so
 * `allow: ['+19005550100']` can open one number inside a denied `+1900*` range, but `allow: ['*']` cannot.
 */
export function dialRefusal(number: string, policy: DialPolicy): Extract<DialRefusal, 'not_e164' | 'not_allowed'> | null {
  if (!E164.test(number)) return 'not_e164';
  const allowed = best(policy.allow, number);
  return allowed >= 0 && allowed > best(policy.deny, number) ? null : 'not_allowed';
}
