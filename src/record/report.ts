/**
 * The shape of a call's shutdown report, as the session record stores it. It lives with the record (below
 * `lifecycle/`, which produces it) so that the record never imports the lifecycle that writes to it.
 */
import type { CloseReason } from '../../machines/events.js';

/** A registered task still alive at a deadline: the leak report names it. */
export interface LiveTask {
  name: string;
  /** Milliseconds since it started. */
  ageMs: number;
}

export interface ShutdownCallbackResult {
  name: string;
  outcome: 'ok' | 'error' | 'timeout';
  ms: number;
  error?: string;
}

export interface ShutdownReport {
  reason: CloseReason | string;
  durationMs: number;
  budgetMs: number;
  withinBudget: boolean;
  callbacks: ShutdownCallbackResult[];
  /** Tasks still alive at the deadline. */
  leaked: LiveTask[];
}
