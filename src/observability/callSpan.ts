/**
 * The call's timeline as span events on one `call` span, through the framework's own tracer (`telemetry.tracer`).
 * In LiveKit Cloud that tracer is the Cloud tracer the session sets up (agent observability, next to the framework's
 * `agent_session` spans); self-hosted, it is whatever provider was given to `telemetry.setTracerProvider` (any
 * OpenTelemetry backend). With no provider the tracer is OpenTelemetry's no-op and this costs next to nothing.
 *
 * PII is marked the way the framework marks it: phone numbers, transcripts and any other free text go in `lk.pii.*`
 * attributes, which the framework's `PIIFilteringSpanProcessor` strips in `onEnding` for every exporter not granted
 * PII (`setTracerProvider(p, { allowPii: false })`) and for every exporter, Cloud included, once the project mandates
 * redaction. When the job says redaction is on (`ctx._redactionEnabled`, which `telemetry.recordException` also
 * obeys) they are left out at the source as well, so a provider installed without the framework's filter (straight
 * through the OpenTelemetry API) never receives them either.
 */
import { telemetry, type JobContext } from '@livekit/agents';
import { settleWithin } from '../lifecycle/deadline.js';
import type { RecordLine } from '../record/sessionRecord.js';

type Span = ReturnType<typeof telemetry.tracer.startSpan>;
type Attributes = Record<string, string | number | boolean | string[]>;
type ShutdownReportLine = Extract<RecordLine, { type: 'shutdownReport' }>;
type TimelineLine = Exclude<RecordLine, { type: 'session' } | ShutdownReportLine>;

export const CALL_SPAN_NAME = 'call';
/** Event names are `call.<type>` in snake case: `call.check_in`, `call.dial_end`, `call.shutdown_report`. */
export const eventName = (type: string): string => `call.${type.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`;

/**
 * Per-turn state churn, left out of the span: the framework's own `user_turn` / `agent_turn` spans carry it, and a
 * span keeps at most `OTEL_SPAN_EVENT_COUNT_LIMIT` events (128 by default, the oldest dropped first), which a long
 * call's state changes would use up, pushing out its presence, dials and close.
 */
const CHURN = new Set<string>(['userState', 'agentState', 'playoutEnd', 'noise', 'calleeSpeech']);

/** String fields that only ever hold one of a few fixed values (states, reasons, outcomes, tool and config names). */
const ENUM_FIELDS = new Set(['state', 'audience', 'reason', 'outcome', 'prompt', 'name', 'source', 'key', 'category']);
/** Free text and numbers, by field, under the framework's own attribute where it has one. */
const PII_FIELDS: Record<string, string> = {
  number: 'lk.pii.phone_number',
  message: 'lk.pii.error_message',
};
const PII_TEXT: Record<string, string> = {
  transcript: telemetry.traceTypes.ATTR_USER_TRANSCRIPT,
  goodbye: telemetry.traceTypes.ATTR_TTS_INPUT_TEXT,
};

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isPii = (key: string) => /(^|\.)pii(\.|$)/i.test(key);
const epochMs = () => performance.timeOrigin + performance.now();

/** A timeline entry's fields as span-event attributes: enums, numbers and flags as `call.*`, any other string as PII. */
export function timelineAttributes(line: TimelineLine): Attributes {
  const attrs: Attributes = { 'call.t': line.t };
  for (const [field, value] of Object.entries(line)) {
    if (field === 't' || field === 'type' || value === undefined) continue;
    if (typeof value === 'string') {
      // A string field not known to be an enum is treated as PII: a new free-text field can never leak by default.
      const key = (field === 'text' ? PII_TEXT[line.type] : PII_FIELDS[field]) ?? (ENUM_FIELDS.has(field) ? `call.${snake(field)}` : `lk.pii.${snake(field)}`);
      attrs[key] = value;
    } else if (typeof value === 'number' || typeof value === 'boolean') {
      attrs[`call.${snake(field)}`] = value;
    }
  }
  return attrs;
}

/** The shutdown report (reason, duration, callbacks, leaks) as attributes; leaked task names can hold a number. */
export function reportAttributes(line: ShutdownReportLine): Attributes {
  return {
    'call.t': line.t,
    'call.reason': line.reason,
    'call.duration_ms': line.durationMs,
    'call.budget_ms': line.budgetMs,
    'call.within_budget': line.withinBudget,
    'call.callbacks_failed': line.callbacks.filter((c) => c.outcome !== 'ok').map((c) => `${c.name}:${c.outcome}`),
    'call.leaked': line.leaked.length,
    'lk.pii.leaked_tasks': line.leaked.map((l) => l.name),
  };
}

export interface CallSpanOptions {
  ctx: JobContext;
  roomName: string;
}

/**
 * One call's span. It is started only once the session has started (`start()`): the framework sets up the Cloud
 * tracer inside `session.start()` (`ctx.initRecording`), and a span begun before that would belong to the no-op
 * tracer and never be exported. What happens before is kept (bounded) and replayed with its own timestamps.
 */
export class CallSpan {
  private span: Span | null = null;
  private ended = false;
  private readonly early: { line: RecordLine; at: number }[] = [];
  private readonly startedAt = epochMs();
  private checkIns = 0;
  private dials = 0;

  constructor(private readonly o: CallSpanOptions) {}

  /** Starts the span (at the call's start time) and replays what came before. */
  start(): void {
    if (this.span || this.ended) return;
    const { ctx, roomName } = this.o;
    this.span = telemetry.tracer.startSpan({
      name: CALL_SPAN_NAME,
      startTime: this.startedAt,
      attributes: this.scrub({
        [telemetry.traceTypes.ATTR_JOB_ID]: ctx.job.id,
        [telemetry.traceTypes.ATTR_ROOM_NAME]: roomName,
      }),
    });
    for (const { line, at } of this.early.splice(0)) this.add(line, at);
  }

  /** One record line: a timeline entry becomes an event; the shutdown report becomes the last event and ends the span. */
  line(line: RecordLine): void {
    if (this.ended || line.type === 'session') return;
    if (!this.span) {
      // Before the session started: a handful of lines (override refusals, the first states). The bound only guards
      // against a session that never starts while the call keeps talking.
      if (line.type === 'shutdownReport') this.start();
      else if (this.early.length < EARLY_LIMIT) this.early.push({ line, at: epochMs() });
      if (!this.span) return;
    }
    this.add(line, epochMs());
  }

  private add(line: RecordLine, at: number): void {
    const span = this.span;
    if (!span || line.type === 'session' || CHURN.has(line.type)) return;
    if (line.type === 'shutdownReport') {
      span.addEvent(eventName(line.type), this.scrub(reportAttributes(line)), at);
      // The outcome on the span itself too: it survives the event limit and is what a trace list shows.
      span.setAttributes({
        'call.shutdown.reason': line.reason,
        'call.shutdown.duration_ms': line.durationMs,
        'call.shutdown.within_budget': line.withinBudget,
        'call.check_ins': this.checkIns,
        'call.dials': this.dials,
      });
      span.end(at);
      this.ended = true;
      return;
    }
    if (line.type === 'checkIn') this.checkIns++;
    if (line.type === 'dialStart') this.dials++;
    span.addEvent(eventName(line.type), this.scrub(timelineAttributes(line)), at);
  }

  /** With redaction on for the job, PII attributes are never handed to the tracer at all. */
  private scrub(attrs: Attributes): Attributes {
    if (!this.o.ctx._redactionEnabled) return attrs;
    return Object.fromEntries(Object.entries(attrs).filter(([k]) => !isPii(k)));
  }
}

const EARLY_LIMIT = 256;

/**
 * Exports what the tracer still holds, within `ms`. The framework's job process exits right after the shutdown
 * callbacks without flushing its tracer provider (1.9.0 flushes logs and metrics only), so a batch holding the call
 * span's end would otherwise be lost. Providers without `forceFlush` (the no-op one) are skipped.
 */
export async function flushTracer(ms: number): Promise<'ok' | 'error' | 'timeout' | 'skipped'> {
  const provider: object = telemetry.tracer.getProvider();
  if (ms <= 0 || !hasForceFlush(provider)) return 'skipped';
  return (await settleWithin(provider.forceFlush(), ms)).status;
}

function hasForceFlush(p: object): p is { forceFlush(): Promise<void> } {
  return 'forceFlush' in p && typeof p.forceFlush === 'function';
}
