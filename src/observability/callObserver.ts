/**
 * What watches one call besides its session record: the call span (the timeline as span events, see callSpan.ts)
 * and, under a LiveKit Cloud simulation only, the in-memory timeline `onSimulationEnd` judges (simulationCheck.ts).
 *
 * Both see exactly what the record sees: `startCall` writes through `sink`, which passes every line on to the record
 * unchanged (or to nothing, when there is none) and then to them. They also get the machine's presence label
 * (present, away, paused, closing, closed), which the simulators' timelines carry and the record does not.
 */
import type { JobContext } from '@livekit/agents';
import type { CallBridge } from '../bridge/callBridge.js';
import type { AgentConfig } from '../config/schema.js';
import type { RecordLine, RecordSink } from '../record/sessionRecord.js';
import { presenceLabel } from '../timeline/presence.js';
import type { PresenceLabel, TimelineEvent } from '../timeline/timeline.js';
import { CallSpan, flushTracer } from './callSpan.js';
import { keepTimelineForSimulation, type SimulationTimeline } from './simulationCheck.js';

export interface ObservedCall {
  /** Where startCall writes: the record first, exactly as before, then the span and the simulation timeline. */
  readonly sink: RecordSink;
  /** The in-memory timeline, when the job runs under a simulation. */
  readonly simulation: SimulationTimeline | null;
  /** Follows the machine's presence label. */
  watch(bridge: CallBridge): void;
  /** The session has started, so the framework's tracer is set up (the Cloud tracer is, inside session.start). */
  sessionStarted(): void;
  /** Exports what the tracer still holds, within `ms` (what is left of shutdown.budget). */
  flush(ms: number): Promise<void>;
}

export interface ObserveCallOptions {
  ctx: JobContext;
  config: AgentConfig;
  /** The session record, or null when there is none (record disabled, or record.dir unwritable). */
  record: RecordSink | null;
  /** The call's clock, seconds: the record's `t`. */
  now: () => number;
  roomName: string;
  logger?: { warn(fields: Record<string, unknown>, msg: string): void };
}

export function observeCall(o: ObserveCallOptions): ObservedCall {
  const span = new CallSpan({ ctx: o.ctx, roomName: o.roomName });
  const simulation = keepTimelineForSimulation(o.ctx, o.config, o.now);
  let warned = false;

  // Telemetry must never take a call or its record down: a failure is logged once and the call goes on.
  const observe = (line: RecordLine) => {
    try {
      span.line(line);
      if (simulation && line.type !== 'session' && line.type !== 'shutdownReport') simulation.push(line);
    } catch (e) {
      if (!warned) o.logger?.warn({ error: e instanceof Error ? e.message : String(e) }, 'call telemetry failed; the call goes on');
      warned = true;
    }
  };

  return {
    sink: {
      write(line) {
        o.record?.write(line);
        observe(line);
      },
      async close(last) {
        observe(last);
        await o.record?.close(last);
      },
    },
    simulation,
    watch(bridge) {
      let presence: PresenceLabel | null = null;
      bridge.actor.subscribe((snapshot) => {
        const label = presenceLabel(snapshot);
        if (label === presence) return;
        presence = label;
        const entry: TimelineEvent = { t: o.now(), type: 'presence', state: label };
        observe(entry);
      });
    },
    sessionStarted() {
      try {
        span.start();
      } catch (e) {
        o.logger?.warn({ error: e instanceof Error ? e.message : String(e) }, 'call span not started; the call goes on');
      }
    },
    async flush(ms) {
      const status = await flushTracer(ms);
      if (status === 'timeout' || status === 'error') o.logger?.warn({ status, withinMs: Math.round(ms) }, 'call span export not confirmed before exit');
    },
  };
}
