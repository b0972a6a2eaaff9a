/** Checks a scenario's `expect` section against a timeline: ordered subsequence, forbidden events, summary fields. */
import { isDeepStrictEqual } from 'node:util';
import type { Scenario } from './scenario.js';
import type { Summary, TimelineEvent } from '../timeline/timeline.js';

const DEFAULT_WITHIN = 0.5;
const TIME_KEYS = new Set(['type', 'at', 'within', 'from', 'to']);

function fieldsMatch(expected: Record<string, unknown>, actual: TimelineEvent): boolean {
  if (expected.type !== actual.type) return false;
  return Object.entries(expected).every(
    ([k, v]) => TIME_KEYS.has(k) || isDeepStrictEqual((actual as Record<string, unknown>)[k], v),
  );
}

const describe = (e: Record<string, unknown>) => JSON.stringify(e);

export function checkExpectations(
  expect: Scenario['expect'],
  timeline: readonly TimelineEvent[],
  summary: Summary,
  /** Extra slack on every `within`, for runs on a scaled real clock. */
  slack = 0,
): string[] {
  const failures: string[] = [];
  let from = 0;
  expect.sequence.forEach((exp, i) => {
    const within = (exp.within ?? DEFAULT_WITHIN) + slack;
    const idx = timeline.findIndex(
      (e, j) => j >= from && fieldsMatch(exp, e) && (exp.at === undefined || Math.abs(e.t - exp.at) <= within),
    );
    if (idx < 0) {
      const near = timeline.filter((e) => fieldsMatch(exp, e)).map((e) => e.t.toFixed(3));
      failures.push(
        `expect.sequence.${i}: ${describe(exp)} not found in order` + (near.length ? ` (seen at t=${near.join(', ')})` : ' (never seen)'),
      );
    } else {
      from = idx + 1;
    }
  });
  expect.never.forEach((f, i) => {
    const hit = timeline.find(
      (e) => fieldsMatch(f, e) && (f.from === undefined || e.t >= f.from) && (f.to === undefined || e.t <= f.to),
    );
    if (hit) failures.push(`expect.never.${i}: ${describe(f)} happened at t=${hit.t.toFixed(3)}`);
  });
  for (const [k, v] of Object.entries(expect.summary)) {
    const actual = (summary as unknown as Record<string, unknown>)[k];
    if (!isDeepStrictEqual(actual, v)) failures.push(`expect.summary.${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(actual)}`);
  }
  return failures;
}
