/**
 * Local mode (`npm start` without LiveKit credentials): the real AgentSession, the real machine and the embedded
 * LiveKit API emulator, in the terminal. Typed lines are the user's speech (delivered as LiveKit's own final
 * transcripts), silence makes the user go away; `/dial +1...`, `/hangup`, `/end`. What the agent says (replies,
 * check-ins, goodbye) is printed as it is spoken, as `agent: ...` lines in the timeline. When stdin is not a terminal
 * it plays the built-in demo and exits 0 after its summary.
 */
import { createInterface } from 'node:readline';
import { initializeLogger, voice } from '@livekit/agents';
import * as openai from '@livekit/agents-plugin-openai';
import { RoomServiceClient } from 'livekit-server-sdk';
import { CallAgent } from '../agent/callAgent.js';
import { explainRefusal, presenceAgentParts } from '../presence/tools.js';
import { CallBridge } from '../bridge/callBridge.js';
import { withOverrides } from '../config/load.js';
import type { AgentConfig } from '../config/schema.js';
import { SipDialer } from '../dialer/sipDialer.js';
import { LiveKitApiEmulator } from '../emulator/server.js';
import { checkInInstructionsOf, followCheckIns, ScriptedLLM } from '../models/scriptedLlm.js';
import { formatEvent, summarize, type TimelineEvent } from '../timeline/timeline.js';
import { createTextSession, userSaid } from './textSession.js';

const ROOM = 'local-call';
const KEY = 'APIlocal';
const SECRET = 'local-emulator-secret-not-for-production-0123456789';

const DEMO: { at: number; line: string }[] = [
  { at: 0.5, line: 'Hello, can you add my manager to the call?' },
  { at: 1.5, line: '/dial +19005550100' },
  { at: 2.0, line: '/dial +15550001111' },
];

/**
 * The line local mode prints for what the agent said: its words, marked as the agent's, on the timeline's clock
 * (`    6.278s  agent: Are you still there?`). One line, whatever line breaks the model put in.
 */
export function agentLine(t: number, text: string, interrupted = false): string {
  const words = text.replace(/\s*\n\s*/g, ' ').trim();
  return `${t.toFixed(3).padStart(9)}s  agent: ${words}${interrupted ? ' (interrupted)' : ''}`;
}

/**
 * Shows the agent's words as it speaks them. Local mode has no audio output: a speech is "spoken" when the session
 * adds the assistant's message to the conversation (`conversation_item_added`, the framework's event for every
 * reply, `say()` and generated check-in, with the text actually played when it was interrupted). The user's own
 * messages are left to the timeline's `transcript` lines.
 */
export function showAgentSpeech(session: voice.AgentSession, print: (line: string) => void, now: () => number): () => void {
  const onItem = (ev: voice.ConversationItemAddedEvent) => {
    const item = ev.item;
    if (item.type !== 'message' || item.role !== 'assistant') return;
    const text = item.textContent?.trim();
    if (text) print(agentLine(now(), text, item.interrupted));
  };
  session.on(voice.AgentSessionEventTypes.ConversationItemAdded, onItem);
  return () => void session.off(voice.AgentSessionEventTypes.ConversationItemAdded, onItem);
}

export interface LocalModeIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  interactive: boolean;
  env: NodeJS.ProcessEnv;
}

export async function runLocalMode(
  base: AgentConfig,
  io: LocalModeIO = { input: process.stdin, output: process.stdout, interactive: Boolean(process.stdin.isTTY), env: process.env },
): Promise<number> {
  initializeLogger({ pretty: false, level: 'error' });
  const say = (line: string) => io.output.write(`${line}\n`);
  // The demo runs on short timings so it ends in seconds; an interactive call uses your config as it is.
  const useOpenAI = Boolean(io.env.OPENAI_API_KEY);
  const demo = { presence: { userAwayTimeout: 2 }, checkIn: { interval: 1.5, maxPrompts: 2 }, goodbye: { maxSeconds: 3 } };
  const config = io.interactive ? base : withOverrides(base, demo, 'local demo');
  const checkIns = followCheckIns(config);

  const emulator = new LiveKitApiEmulator({ apiKey: KEY, apiSecret: SECRET, sip: { '+15550001111': { outcome: 'answered', ringSeconds: 2 } } });
  const url = await emulator.start();
  const session = createTextSession(
    useOpenAI
      ? new openai.LLM({ model: config.models.llm })
      : new ScriptedLLM({
          reply: (input) => `You said: ${input}. (scripted model)`,
          checkInInstructions: checkInInstructionsOf(config),
          greeting: config.greeting,
          checkIn: checkIns.text,
          latencyMs: 150,
        }),
    config.presence.userAwayTimeout,
  );

  const t0 = performance.now();
  const timeline: TimelineEvent[] = [];
  const rooms = new RoomServiceClient(url, KEY, SECRET);
  const bridge = new CallBridge({
    session,
    config,
    dialer: new SipDialer({ url, apiKey: KEY, apiSecret: SECRET, roomName: ROOM, trunkId: 'ST_local', ringingTimeout: config.dial.ringingTimeout }),
    shutdown: (reason) => say(`  → ctx.shutdown("${reason}")`),
    deleteRoom: async () => void (await rooms.deleteRoom(ROOM)),
    onTimeline: (entry) => {
      checkIns.observe(entry);
      const e = { ...entry, t: (performance.now() - t0) / 1000 } as TimelineEvent;
      timeline.push(e);
      say(formatEvent(e));
    },
  });

  say('Local mode: no LiveKit credentials found, so this runs the real AgentSession and call machine against an');
  say(`embedded LiveKit API emulator (${url}). Model: ${useOpenAI ? `OpenAI ${config.models.llm}` : 'scripted (set OPENAI_API_KEY to use OpenAI)'}.`);
  say(io.interactive ? 'Type to speak, stay quiet to go away. Commands: /dial +15550001111, /hangup, /end.' : 'stdin is not a terminal: playing the built-in demo.');
  say('');

  showAgentSpeech(session, say, () => (performance.now() - t0) / 1000);
  bridge.start();
  await session.start({ agent: new CallAgent(presenceAgentParts(bridge), config.models.instructions) });
  bridge.greet();

  const handle = (line: string) => {
    const text = line.trim();
    if (!text || bridge.isEnded) return;
    if (text === '/hangup') return bridge.send({ type: 'CALLER_DISCONNECTED' });
    if (text === '/end') return bridge.send({ type: 'END_REQUESTED', source: 'frontend' });
    if (text.startsWith('/dial')) {
      const refused = bridge.requestDial(text.slice(5).trim());
      if (refused) say(`  (not dialed: ${explainRefusal(refused)})`);
      return;
    }
    // As LiveKit's STT would: a final transcript (which brings an away user back), then the agent's reply.
    userSaid(session, text);
    session.generateReply({ userInput: text });
  };

  let rl: ReturnType<typeof createInterface> | null = null;
  const timers: NodeJS.Timeout[] = [];
  if (io.interactive) {
    rl = createInterface({ input: io.input });
    rl.on('line', handle);
    rl.on('close', () => handle('/hangup'));
  } else {
    for (const step of DEMO) timers.push(setTimeout(() => handle(step.line), step.at * 1000));
  }

  const reason = await bridge.ended;
  timers.forEach(clearTimeout);
  rl?.close();
  await bridge.drain();
  bridge.dispose();
  await emulator.stop();

  const summary = summarize(timeline, []);
  say('');
  say(`summary: ${summary.checkIns} check-in(s), ${summary.dials} dial(s), close=${summary.closeReason}, shutdown=${reason}`);
  say('To run this agent in LiveKit Cloud: put LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET (and OPENAI_API_KEY) in .env.local, then `npm run dev`.');
  return 0;
}
