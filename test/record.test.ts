/** The session record's sink: opening it may fail (an unwritable `record.dir`); that is a warning, never a crash. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { JsonlFileSink, openRecordSink } from '../src/record/sessionRecord.js';

describe('openRecordSink', () => {
  it('returns null and reports the dir and the cause when the dir cannot be created', () => {
    // A directory under a regular file: mkdir fails with ENOTDIR even as root.
    const file = join(mkdtempSync(join(tmpdir(), 'record-')), 'not-a-dir');
    writeFileSync(file, '');
    const dir = join(file, 'sub');
    const errors: Error[] = [];
    expect(openRecordSink(dir, 'room-AJ_1', (e) => errors.push(e))).toBeNull();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toContain(dir);
    expect(errors[0]!.message).toMatch(/ENOTDIR/);
  });

  it('opens a JSONL file in a writable dir and appends one line per write', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'record-')), 'nested');
    const errors: Error[] = [];
    const sink = openRecordSink(dir, 'room/AJ 2', (e) => errors.push(e));
    expect(sink).toBeInstanceOf(JsonlFileSink);
    sink!.write({ type: 'session', session: 'AJ 2', room: 'room', startedAt: '2025-01-01T00:00:00.000Z', mode: 'agent' });
    await sink!.close({ type: 'session', session: 'AJ 2', room: 'room', startedAt: '2025-01-01T00:00:01.000Z', mode: 'agent' });
    const path = (sink as JsonlFileSink).path;
    expect(path).toBe(join(dir, 'room_AJ_2.jsonl'));
    const lines = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; startedAt: string });
    expect(lines.map((l) => l.startedAt)).toEqual(['2025-01-01T00:00:00.000Z', '2025-01-01T00:00:01.000Z']);
    expect(errors).toEqual([]);
  });
});
