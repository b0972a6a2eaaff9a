/**
 * Every knob of the agent, typed and validated when this file is imported (a bad value stops the agent before it
 * starts, naming the key and the value). Durations are in seconds. Delete a key to get its default; the README's
 * config reference lists them all. Env overrides (AGENT_CONFIG_JSON and friends) apply on top at startup.
 */
import { defineConfig } from './src/config/load.js';

export default defineConfig({
  presence: {
    userAwayTimeout: 15, // LiveKit marks the user away after this much shared silence
    activitySignal: 'vad', // 'transcript' on noisy phone lines
  },
  checkIn: {
    mode: 'llm',
    interval: 10, // after each check-in finished playing
    maxPrompts: 3,
    resetOnSpeech: true,
    instructions: 'The user has been silent for a while. Briefly and kindly ask whether they are still there.',
    messages: ['Are you still there?', 'Hello? I can wait if you need a moment.', 'I still cannot hear you.'],
  },
  goodbye: {
    message: "It seems you've stepped away. I'll end the call now. Goodbye!",
    maxSeconds: 10,
  },
  closeAction: 'delete-room',
  dial: {
    settleTimeout: 45,
    ringingTimeout: 30,
    onCallerLeft: 'cancel',
    allow: ['*'], // narrow this to the countries you call, e.g. ['+1*', '+44*']
  },
  maxCallDuration: null, // e.g. { seconds: 1800, warnBefore: 60, message: '...' }
  shutdown: { budget: 5, processTimeout: 60 },
});
