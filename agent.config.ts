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
    callerReconnectGrace: 20, // a dropped connection (not a hang-up) may come back this long: livekit-server's departure timeout
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
    // By close reason: a user who asked to end the call is not told they stepped away.
    messages: {
      user_unresponsive: "It seems you've stepped away. I'll end the call now. Goodbye!",
      end_requested: 'Okay, ending the call now. Goodbye!',
      max_duration: "We've reached the time limit for this call. Goodbye!",
      drain: 'I have to end the call now. Sorry about that, goodbye!',
    },
    maxSeconds: 10,
  },
  closeAction: 'delete-room',
  dial: {
    settleTimeout: 45,
    ringingTimeout: 30,
    onCallerLeft: 'cancel',
    allow: ['+1*'], // the countries (or exact numbers) you call, e.g. ['+1*', '+44*']; never ['*']
    maxPerCall: 3,
    // Answered dials go through answering-machine detection (voice.AMD) before they count as answered. A machine
    // (voicemail, IVR, full mailbox) ends the dial as 'voicemail' and its leg is removed: 'hangup' at once, or
    // 'leave-message' (a voicemail hears voicemailMessage first). dial.amd: { enabled, noSpeechTimeout: 10,
    // detectionTimeout: 20, models: 'auto' } tunes or turns off the detection.
    onVoicemail: 'hangup',
  },
  maxCallDuration: null, // e.g. { seconds: 1800, warnBefore: 60, message: '...' }
  shutdown: { budget: 5, processTimeout: 60 },
});
