/**
 * `npm run end-session -- --room NAME`: a backend ends a call by deleting its room (LIVEKIT_URL, LIVEKIT_API_KEY,
 * LIVEKIT_API_SECRET from env or .env.local). The agent sees the room disconnect and closes through the same path
 * (no goodbye: the room is gone); its shutdown callbacks still run.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { RoomServiceClient } from 'livekit-server-sdk';
import { apiFailureDetail } from '../dialer/apiFailure.js';
import '../observability/sourceMaps.js'; // after the packages (see sourceMaps.ts)

if (existsSync('.env.local')) process.loadEnvFile('.env.local');
const { values } = parseArgs({ options: { room: { type: 'string' } } });
const { LIVEKIT_URL: url, LIVEKIT_API_KEY: key, LIVEKIT_API_SECRET: secret } = process.env;
if (!values.room) {
  console.error('usage: npm run end-session -- --room NAME');
  process.exit(2);
}
if (!url || !key || !secret) {
  console.error('end-session needs LIVEKIT_URL, LIVEKIT_API_KEY and LIVEKIT_API_SECRET (env or .env.local)');
  process.exit(2);
}
// A promise chain rather than top-level await: the build is CommonJS (scripts/build.ts).
const room = values.room;
new RoomServiceClient(url, key, secret).deleteRoom(room).then(
  () => console.log(`room "${room}" deleted: the agent will close the call and shut down`),
  (e: unknown) => {
    console.error(`could not delete room "${room}": ${apiFailureDetail(e)}`);
    process.exit(1);
  },
);
