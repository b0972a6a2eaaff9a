/** The committed speech WAV (espeak-ng: "Hello, this is a short test of the voice activity detector."), as PCM. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const SPEECH_WAV = join(import.meta.dirname, '..', 'fixtures', 'speech-16k.wav');
export const WAV_SAMPLE_RATE = 16_000;

/** The PCM samples of a 16 kHz mono 16-bit WAV (the fixture's format; anything else is refused). */
export function readWav(file: string = SPEECH_WAV): Int16Array {
  const buf = readFileSync(file);
  if (buf.toString('ascii', 0, 4) !== 'RIFF' || buf.readUInt32LE(24) !== WAV_SAMPLE_RATE || buf.readUInt16LE(22) !== 1) {
    throw new Error(`${file}: expected a 16 kHz mono WAV`);
  }
  let at = 12;
  while (buf.toString('ascii', at, at + 4) !== 'data') at += 8 + buf.readUInt32LE(at + 4);
  const bytes = buf.subarray(at + 8, at + 8 + buf.readUInt32LE(at + 4));
  return new Int16Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
