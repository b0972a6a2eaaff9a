/**
 * The timeline in observability: a real call (production startCall, a real JobContext, the real AgentSession and
 * the emulator) emits its timeline as span events on one `call` span through the framework's tracer; an OpenTelemetry
 * provider registered with the framework's `telemetry.setTracerProvider` exports it (here to an in-memory exporter),
 * with phone numbers and transcripts redacted by the framework's own PII processor.
 */
import { telemetry } from '@livekit/agents';
import { BasicTracerProvider, BatchSpanProcessor, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import { CALL_SPAN_NAME, CallSpan } from '../src/observability/callSpan.js';
import { jobContext, QUICK_CALL, ROOM, startCallJob, type CallJob } from './support/callJob.js';

const MANAGER = '+15550001111';
const PREMIUM = '+19005550100';
const SAID = 'my account number is 4242, call my manager';
const quick = QUICK_CALL;

/**
 * A provider as an integrator registers one: the framework's FanoutSpanProcessor lets it add its PII processor.
 * `batch`: exported only on a flush (a minute's delay otherwise), as a production batch processor near exit.
 */
function registerProvider(o: { allowPii: boolean; batch?: boolean }) {
  const exporter = new InMemorySpanExporter();
  const fanout = new telemetry.FanoutSpanProcessor();
  const exporting = o.batch ? new BatchSpanProcessor(exporter, { scheduledDelayMillis: 60_000 }) : new SimpleSpanProcessor(exporter);
  const provider = new BasicTracerProvider({ spanProcessors: [fanout, exporting] });
  telemetry.setTracerProvider(provider, { registerSpanProcessor: (p) => fanout.add(p), allowPii: o.allowPii });
  return { exporter, provider };
}

const callSpan = (spans: ReadableSpan[]) => spans.find((s) => s.name === CALL_SPAN_NAME);
const event = (span: ReadableSpan, name: string) => span.events.find((e) => e.name === name);
const names = (span: ReadableSpan) => span.events.map((e) => e.name);

let job: CallJob | null = null;
afterEach(async () => {
  await job?.stop();
  job = null;
});

describe('the call timeline as span events', () => {
  it('a real call: presence, dial, refusal, transcript, check-in, goodbye, close and shutdown on one call span, PII stripped', async () => {
    // allowPii false: the framework strips lk.pii.* before this exporter. Batched with a long delay: the span only
    // reaches the exporter because the call flushes the tracer in its shutdown callback.
    const { exporter, provider } = registerProvider({ allowPii: false, batch: true });
    job = await startCallJob(quick, { sip: { [MANAGER]: { outcome: 'answered', ringSeconds: 0.4 } } });
    expect(job.call.bridge.requestDial(PREMIUM)).toBe('not_allowed');
    expect(job.call.bridge.requestDial(MANAGER)).toBeNull();
    job.userSays(SAID);
    expect(await job.ended()).toBe('user_unresponsive');

    const span = callSpan(exporter.getFinishedSpans());
    expect(span, 'the call span was exported by the shutdown flush').toBeDefined();
    expect(names(span!)).toEqual(
      expect.arrayContaining(['call.presence', 'call.dial_refused', 'call.dial_start', 'call.dial_end', 'call.transcript', 'call.check_in', 'call.goodbye', 'call.session_close', 'call.shutdown', 'call.delete_room', 'call.shutdown_report']),
    );
    // In the order they happened, the shutdown report last.
    expect(names(span!).indexOf('call.dial_start')).toBeLessThan(names(span!).indexOf('call.dial_end'));
    expect(names(span!).indexOf('call.dial_end')).toBeLessThan(names(span!).indexOf('call.check_in'));
    expect(names(span!).at(-1)).toBe('call.shutdown_report');
    // Per-turn churn stays in the framework's own spans.
    expect(names(span!)).not.toContain('call.user_state');
    expect(names(span!)).not.toContain('call.agent_state');

    expect(event(span!, 'call.dial_refused')?.attributes).toMatchObject({ 'call.reason': 'not_allowed' });
    expect(event(span!, 'call.dial_end')?.attributes).toMatchObject({ 'call.outcome': 'answered' });
    expect(event(span!, 'call.check_in')?.attributes).toMatchObject({ 'call.attempt': 1 });
    expect(event(span!, 'call.shutdown')?.attributes).toMatchObject({ 'call.reason': 'user_unresponsive' });
    const report = event(span!, 'call.shutdown_report')?.attributes;
    expect(report).toMatchObject({ 'call.reason': 'user_unresponsive', 'call.within_budget': true, 'call.leaked': 0 });
    expect(report?.['call.duration_ms']).toEqual(expect.any(Number));
    expect(span!.attributes).toMatchObject({
      'lk.job_id': job.ctx.job.id,
      'call.shutdown.reason': 'user_unresponsive',
      'call.shutdown.within_budget': true,
      'call.check_ins': 1,
      'call.dials': 1,
    });
    expect(span!.attributes['call.shutdown.duration_ms']).toEqual(expect.any(Number));

    // Redacted the framework's way: no number, no transcript, no room name, no lk.pii.* key reaches this exporter.
    const exported = JSON.stringify({ attributes: span!.attributes, events: span!.events });
    expect(exported).not.toContain('5550001111');
    expect(exported).not.toContain('5550100');
    expect(exported).not.toContain('account number');
    expect(exported).not.toContain(ROOM);
    expect(exported).not.toMatch(/lk\.pii\./);
    await provider.shutdown();
  });

  it('an exporter granted PII receives the numbers and transcripts, under the framework lk.pii.* attributes', () => {
    const { exporter } = registerProvider({ allowPii: true });
    const span = new CallSpan({ ctx: jobContext(), roomName: ROOM });
    span.start();
    span.line({ t: 1, type: 'transcript', text: SAID });
    span.line({ t: 2, type: 'dialStart', number: MANAGER });
    span.line({ t: 3, type: 'dialRefused', number: PREMIUM, reason: 'not_allowed' });
    span.line({ t: 9, type: 'shutdownReport', reason: 'end_requested', durationMs: 12, budgetMs: 5000, withinBudget: true, callbacks: [], leaked: [{ name: `cancel dial ${MANAGER}`, ageMs: 3 }] });

    const s = callSpan(exporter.getFinishedSpans())!;
    expect(s.attributes).toMatchObject({ 'lk.pii.room_name': ROOM });
    expect(event(s, 'call.transcript')?.attributes).toEqual({ 'call.t': 1, 'lk.pii.user_transcript': SAID });
    expect(event(s, 'call.dial_start')?.attributes).toEqual({ 'call.t': 2, 'lk.pii.phone_number': MANAGER });
    expect(event(s, 'call.dial_refused')?.attributes).toEqual({ 'call.t': 3, 'lk.pii.phone_number': PREMIUM, 'call.reason': 'not_allowed' });
    expect(event(s, 'call.shutdown_report')?.attributes).toMatchObject({ 'lk.pii.leaked_tasks': [`cancel dial ${MANAGER}`], 'call.leaked': 1 });
  });

  it('with the project redacting PII (ctx._redactionEnabled) nothing is handed to the tracer, whatever the exporter is granted', () => {
    const { exporter } = registerProvider({ allowPii: true });
    const ctx = jobContext({ redaction: true });
    expect(ctx._redactionEnabled).toBe(true);
    const span = new CallSpan({ ctx, roomName: ROOM });
    span.start();
    span.line({ t: 1, type: 'transcript', text: SAID });
    span.line({ t: 2, type: 'dialStart', number: MANAGER });
    span.line({ t: 9, type: 'shutdownReport', reason: 'end_requested', durationMs: 12, budgetMs: 5000, withinBudget: true, callbacks: [], leaked: [] });

    const s = callSpan(exporter.getFinishedSpans())!;
    expect(event(s, 'call.dial_start')?.attributes).toEqual({ 'call.t': 2 });
    expect(JSON.stringify({ a: s.attributes, e: s.events })).not.toMatch(/lk\.pii\.|5550001111|account number/);
  });

  it('what happens before the session starts (where the Cloud tracer is set up) is replayed on the span with its own time', async () => {
    const ctx = jobContext();
    const span = new CallSpan({ ctx, roomName: ROOM });
    span.line({ t: 0, type: 'overrideRejected', key: 'dial.allow' });
    await new Promise((r) => setTimeout(r, 20));
    // The provider appears only now, as the framework's Cloud tracer does inside session.start().
    const { exporter } = registerProvider({ allowPii: false });
    span.start();
    span.line({ t: 0.05, type: 'shutdownReport', reason: 'end_requested', durationMs: 1, budgetMs: 5000, withinBudget: true, callbacks: [], leaked: [] });

    const s = callSpan(exporter.getFinishedSpans())!;
    const early = event(s, 'call.override_rejected')!;
    expect(early.attributes).toEqual({ 'call.t': 0, 'call.key': 'dial.allow' });
    // Both events are stamped by the span's one clock: the early one keeps the time it happened, at least the 20 ms
    // waited before the later one (a timer may fire up to 1 ms early). Never compared with the wall clock.
    const ms = (e: { time: [number, number] }) => e.time[0] * 1000 + e.time[1] / 1e6;
    const late = event(s, 'call.shutdown_report')!;
    expect(ms(late) - ms(early)).toBeGreaterThanOrEqual(19);
  });
});
