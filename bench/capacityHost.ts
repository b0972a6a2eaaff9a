/**
 * A process hosting benchmark calls for `bench/capacity.ts`, driven over IPC (child_process.fork). It loads Silero once
 * (as the production `prewarm` does in each job process), then starts calls of one side on demand and reports
 * windows: check-in timing samples, misses and doubles, VAD lag, event-loop delay, heap and RSS. CPU is read by the
 * parent from /proc/<pid>/stat (every thread of this process: JavaScript, libuv, onnxruntime).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { initializeLogger, type VAD } from '@livekit/agents';
import * as silero from '@livekit/agents-plugin-silero';
import { loadSpeech, Pacer, startBenchCall, type BenchCall, type Side } from './capacityCall.js';

export type HostRequest =
  | { type: 'init'; side: Side }
  /** Ends this process's calls; the next `add` may be of another side (the process is reused, warm). */
  | { type: 'drop'; side: Side }
  | { type: 'add'; count: number; phase: number }
  /** Starts a window; `memory`: first measure heap and RSS after GC (the overhead window only: GC pauses timers). */
  | { type: 'mark'; memory?: boolean }
  | { type: 'report' }
  | { type: 'stop' };

export interface HostMemory {
  rssBytes: number;
  heapUsedBytes: number;
  /** Memory outside the V8 heap held by JavaScript objects (audio frames' buffers, native handles' wrappers). */
  externalBytes: number;
}

export interface WindowReport {
  calls: number;
  samples: { errMs: number; kind: 'away' | 'interval' }[];
  vadLagMs: number[];
  missed: number;
  doubled: number;
  checkIns: number;
  spells: number[];
  /** Frames read by the `vad` / `feed` consumers (to check they kept up with the audio). */
  consumedFrames: number;
  eventLoopDelayP99Ms: number;
  /** Garbage collections in the window: the longest one and the total (main-thread pauses). */
  gcMaxMs: number;
  gcTotalMs: number;
  memory: HostMemory;
  /** Seconds since the oldest call of this process started. */
  callAgeSeconds: number;
}

initializeLogger({ pretty: false, level: 'error' });
// startCall listens for SIGTERM once per call; a job process hosts one call, this host hosts many.
process.setMaxListeners(0);

const send = (m: unknown) => process.send!(m);
const gc = (globalThis as { gc?: () => void }).gc;
function memory(): HostMemory {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, externalBytes: m.external };
}

let side: Side = 'ours';
let vad: VAD;
const pacer = new Pacer();
const speech = loadSpeech();
const recordDir = mkdtempSync(join(tmpdir(), 'capacity-records-'));
const calls: BenchCall[] = [];
let firstCallAt: number | null = null;
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
const gcStats = { max: 0, total: 0 };
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    gcStats.max = Math.max(gcStats.max, e.duration);
    gcStats.total += e.duration;
  }
}).observe({ entryTypes: ['gc'] });

process.on('message', async (m: HostRequest) => {
  switch (m.type) {
    case 'init':
      side = m.side;
      vad = await silero.VAD.load();
      send({ type: 'ready', pid: process.pid, memory: memory() });
      return;
    case 'drop':
      await Promise.all(calls.splice(0).map((c) => c.close()));
      firstCallAt = null;
      side = m.side;
      send({ type: 'dropped' });
      return;
    case 'add': {
      const base = calls.length;
      firstCallAt ??= performance.now();
      for (let k = 0; k < m.count; k++) calls.push(await startBenchCall(side, base + k, { vad, pacer, speech, recordDir, phase: (m.phase + k / m.count) % 1 }));
      send({ type: 'added', calls: calls.length });
      return;
    }
    case 'mark': {
      const mem = m.memory ? memory() : null;
      // A check-in the forced GC held up is not the window's: let it happen before the window starts.
      if (mem) await new Promise((r) => setTimeout(r, 300));
      for (const c of calls) c.probe?.take();
      loopDelay.reset();
      gcStats.max = gcStats.total = 0;
      send({ type: 'marked', memory: mem });
      return;
    }
    case 'report': {
      const r: WindowReport = {
        calls: calls.length,
        samples: [],
        vadLagMs: [],
        missed: 0,
        doubled: 0,
        checkIns: 0,
        spells: [],
        consumedFrames: 0,
        eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
        gcMaxMs: gcStats.max,
        gcTotalMs: gcStats.total,
        memory: memory(), // after the GC figures: its own forced GC is not the window's
        callAgeSeconds: firstCallAt === null ? 0 : (performance.now() - firstCallAt) / 1000,
      };
      for (const c of calls) {
        r.consumedFrames += c.consumed();
        if (!c.probe) continue;
        const w = c.probe.take();
        r.samples.push(...w.samples.map(({ errMs, kind }) => ({ errMs, kind })));
        r.vadLagMs.push(...w.vadLagMs);
        r.missed += w.missed;
        r.doubled += w.doubled;
        r.checkIns += w.checkIns;
        r.spells.push(...w.spells);
      }
      loopDelay.reset();
      send({ type: 'report', report: r });
      return;
    }
    case 'stop':
      pacer.stop();
      rmSync(recordDir, { recursive: true, force: true });
      // The Silero inference session and the sessions' streams keep native handles open.
      process.exit(0);
  }
});
// The bench that forked this process is gone: nothing will stop it otherwise.
process.on('disconnect', () => process.exit(0));
send({ type: 'booted' });
