/**
 * The durable session record: one append-only JSONL file per session. Every timeline event (presence, transcripts,
 * dial attempts and outcomes, close and shutdown) is written as it happens with a synchronous append, so a killed
 * process leaves every line written so far; the final line is the shutdown report, followed by an fsync.
 * `RecordSink` is the seam for other storage.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { ShutdownReport } from './report.js';
import type { TimelineEvent } from '../timeline/timeline.js';

export type RecordLine =
  | { type: 'session'; session: string; room: string; startedAt: string; mode: 'agent' | 'simulation' }
  | (TimelineEvent & { t: number })
  | ({ type: 'shutdownReport'; t: number } & ShutdownReport);

export interface RecordSink {
  /** Appends one line; must not throw (a record failure never takes the call down). */
  write(line: RecordLine): void;
  /** Writes the last line and makes the record durable. */
  close(last: RecordLine): Promise<void>;
}

/** A file per session in `dir` (created if missing): `<dir>/<session>.jsonl`. */
/** The file a session's record goes to in its directory: the session id, kept to a safe alphabet. */
export const recordFileName = (session: string): string => `${session.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`;

export class JsonlFileSink implements RecordSink {
  readonly path: string;
  private fd: number | null;
  private failed = false;

  constructor(dir: string, session: string, private readonly onError: (e: Error) => void = () => {}) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, recordFileName(session));
    this.fd = openSync(this.path, 'a');
  }

  write(line: RecordLine): void {
    if (this.fd === null || this.failed) return;
    try {
      writeSync(this.fd, `${JSON.stringify(line)}\n`);
    } catch (e) {
      this.failed = true;
      this.onError(e as Error);
    }
  }

  async close(last: RecordLine): Promise<void> {
    this.write(last);
    if (this.fd === null) return;
    const fd = this.fd;
    this.fd = null;
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Opens the session's JsonlFileSink, or returns null when it cannot be opened (an unwritable or read-only `record.dir`,
 * a path under a file): the constructor's mkdir/open throw, and a missing record must be a warning, never a failed
 * call. `onError` gets an error naming the dir and the cause; it is also the sink's write-error handler.
 */
export function openRecordSink(dir: string, session: string, onError: (e: Error) => void): RecordSink | null {
  try {
    return new JsonlFileSink(dir, session, onError);
  } catch (e) {
    const cause = e instanceof Error ? e.message : String(e);
    onError(new Error(`cannot open the session record in record.dir "${dir}": ${cause}`, { cause: e }));
    return null;
  }
}
