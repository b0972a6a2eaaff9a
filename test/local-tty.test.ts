/**
 * Local mode in a real pseudo-terminal (`npm run local` with a TTY on stdin and stdout, as a person runs it): a typed
 * line is the user's speech, the agent's reply is shown as `agent: ...`, and staying quiet brings check-ins and the
 * goodbye, whose words are shown the same way. The pty comes from `@lydell/node-pty` (node-pty with its binaries
 * inside the npm package: nothing to build or install). No wall-clock bound is asserted: every wait polls the
 * terminal's output with a generous limit, so a busy 2-core machine only makes it slower.
 */
import { join } from 'node:path';
import { spawn, type IPty } from '@lydell/node-pty';
import { afterEach, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Everything the terminal showed, with CR/LF normalised and escape sequences removed. */
class Terminal {
  private raw = '';
  exit: number | null = null;
  readonly pty: IPty;

  constructor(env: NodeJS.ProcessEnv) {
    this.pty = spawn('npm', ['run', '--silent', 'local'], { name: 'xterm', cols: 200, rows: 50, cwd: ROOT, env: env as Record<string, string> });
    this.pty.onData((d) => (this.raw += d));
    this.pty.onExit(({ exitCode }) => (this.exit = exitCode));
  }

  get text(): string {
    // eslint-disable-next-line no-control-regex
    return this.raw.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '').replace(/\r\n?/g, '\n');
  }

  get lines(): string[] {
    return this.text.split('\n');
  }

  /** Polls until a line after line `after` matches (or the process exited without one), up to `ms`; its index. */
  async waitForLine(pattern: RegExp, after = -1, ms = 90_000): Promise<number> {
    const start = Date.now();
    for (;;) {
      const i = this.lines.findIndex((l, n) => n > after && pattern.test(l));
      if (i >= 0) return i;
      if (this.exit !== null) throw new Error(`local mode exited (${this.exit}) without a line matching ${pattern}:\n${this.text}`);
      if (Date.now() - start > ms) throw new Error(`no line matching ${pattern} within ${ms} ms:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitForExit(ms = 90_000): Promise<number> {
    const start = Date.now();
    while (this.exit === null) {
      if (Date.now() - start > ms) throw new Error(`local mode still running after ${ms} ms:\n${this.text}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    return this.exit;
  }

  /** Ends the process group the pty started (npm, its shell, the prelocal build and node), if it is still running. */
  stop(): void {
    if (this.exit !== null) return;
    try {
      process.kill(-this.pty.pid, 'SIGKILL');
    } catch {
      this.pty.kill('SIGKILL');
    }
  }
}

let term: Terminal | null = null;
afterEach(() => {
  term?.stop();
  term = null;
});

describe('npm run local in a terminal', () => {
  it('shows what the agent says (reply, check-ins, goodbye) as agent lines; the typed line stays a transcript', { timeout: 240_000 }, async () => {
    // No LiveKit or OpenAI credentials from the parent (the scripted model answers), short presence timings.
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LIVEKIT_') && !k.startsWith('AGENT_')));
    term = new Terminal({
      ...env,
      OPENAI_API_KEY: '',
      // 2 s, not 1: the typed line must arrive before the user goes away, even on a busy machine.
      AGENT_USER_AWAY_TIMEOUT: '2',
      AGENT_CHECKIN_MODE: 'fixed',
      AGENT_CHECKIN_INTERVAL: '1',
      AGENT_CHECKIN_MAX_PROMPTS: '2',
      TERM: 'xterm',
    });

    // The session has started (its first state) before anything is typed.
    const banner = await term.waitForLine(/Type to speak/);
    await term.waitForLine(/agentState +state=listening/, banner);
    term.pty.write('hello there\r');

    // Each line is looked for after the one before it: the order is part of what is checked.
    const transcript = await term.waitForLine(/transcript +text=hello there$/, banner);
    const reply = await term.waitForLine(/^ +\d+\.\d{3}s {2}agent: You said: hello there\. \(scripted model\)$/, transcript);

    // Quiet: LiveKit marks the user away, two check-ins, then the goodbye and the close.
    const checkIn1 = await term.waitForLine(/checkIn +attempt=1$/, reply);
    const said1 = await term.waitForLine(/agent: Are you still there\?$/, checkIn1);
    const checkIn2 = await term.waitForLine(/checkIn +attempt=2$/, said1);
    const said2 = await term.waitForLine(/agent: Hello\? I can wait if you need a moment\.$/, checkIn2);
    const goodbye = await term.waitForLine(/^ +\d+\.\d{3}s {2}goodbye +reason=user_unresponsive\b/, said2);
    const saidBye = await term.waitForLine(/agent: It seems you've stepped away\. I'll end the call now\. Goodbye!$/, goodbye);
    await term.waitForLine(/summary: 2 check-in\(s\), 0 dial\(s\), close=user_unresponsive, shutdown=user_unresponsive/, saidBye);
    expect(await term.waitForExit()).toBe(0);

    // What the user typed is the transcript, never an agent line; the agent said exactly these four things.
    const agentLines = term.lines.filter((l) => /^ +\d+\.\d{3}s {2}agent: /.test(l));
    expect(agentLines.map((l) => l.replace(/^ +\d+\.\d{3}s {2}agent: /, ''))).toEqual([
      'You said: hello there. (scripted model)',
      'Are you still there?',
      'Hello? I can wait if you need a moment.',
      "It seems you've stepped away. I'll end the call now. Goodbye!",
    ]);
    expect(term.lines.filter((l) => /transcript +text=/.test(l))).toHaveLength(1);
  });
});
