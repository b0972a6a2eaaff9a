/**
 * Phones played by sipp (the real SIP tester, SIPp 3.6 from Debian), on the stack's address in its own namespace.
 *
 * - `startCallee`: a dialed phone (UAS) behind the outbound trunk. It rings, then answers with G.711 A-law audio
 *   (the committed speech WAV, looped) and optionally hangs up after a while, or rejects with a SIP status, or rings
 *   until it is cancelled. A CANCEL while ringing is answered as RFC 3261 says (200, 487, then the ACK).
 * - `startCaller`: a phone (UAC) dialing into livekit-sip through an inbound trunk, playing the same audio, until the
 *   other side hangs up.
 *
 * Every SIP message either side sent is in sipp's message trace, so a test can say "no CANCEL was ever sent".
 */
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SPEECH_WAV } from '../../support/wav.js';
import { STACK } from './stack.js';

export type CalleeScript =
  | { ringMs: number; answer: true; hangUpAfterMs?: number }
  | { ringMs: number; reject: 486 | 603 }
  | { ringForever: true };

export interface Phone {
  port: number;
  /** sipp's message trace so far: every SIP message sent and received. */
  trace(): string;
  /** The requests (INVITE, CANCEL, BYE, ...) and responses (SIP/2.0 200, ...) the phone received, in order. */
  received(): string[];
  /** sipp's exit: 0 when its call went exactly as scripted. */
  exited: Promise<number | null>;
  stop(): void;
}

const dir = mkdtempSync(join(tmpdir(), 'e2e-sipp-'));
/**
 * The speech WAV as G.711 A-law at 8 kHz, what sipp's rtp_stream plays in a loop (made once with sox), followed by
 * `quietSeconds` of silence: a phone that says one sentence and then stays on the line, quiet.
 */
function alawAudio(quietSeconds = 0): string {
  const file = join(dir, `speech-alaw-${quietSeconds}.wav`);
  if (!existsSync(file)) execFileSync('sox', [SPEECH_WAV, '-r', '8000', '-c', '1', '-e', 'a-law', file, 'pad', '0', String(quietSeconds)]);
  return file;
}

let nextPort = 5080;
/** A SIP port for a phone that is not behind a trunk (a caller): each its own. */
const freshPort = () => nextPort++;

const reply = (status: string, toTag = true) => `
  <send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]${toTag ? ';tag=[pid]SIPpTag01[call_number]' : ''}
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
Content-Length: 0

  ]]></send>`;

const SDP = `Content-Type: application/sdp
Content-Length: [len]

v=0
o=phone 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [auto_media_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=sendrecv
`;

/**
 * Our BYE. The dialog's local party is the To of what we last received as a callee (the INVITE) and its From as a
 * caller (the 200 OK to our INVITE): a BYE with the two the wrong way round is "BYE for non-existent call" to
 * livekit-sip (measured), and the call would go on.
 */
const bye = (side: 'callee' | 'caller') => `
  <nop><action><exec rtp_stream="pause"/></action></nop>
  <send retrans="500"><![CDATA[
BYE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
${side === 'callee' ? 'From: [last_To:]\nTo: [last_From:]' : 'From: [last_From:]\nTo: [last_To:]'}
[last_Call-ID:]
CSeq: [last_cseq_number+1] BYE
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <recv response="200" next="end"/>`;

/**
 * The callee's scenario: ring, then answer / reject / wait for the CANCEL. With `busyNumber`, a call to that number
 * on the same phone is rejected at once with 486 instead (two dials through one trunk).
 */
function calleeScenario(s: CalleeScript, audio: string, busyNumber?: string): string {
  const ringing = 'ringForever' in s ? '<recv request="CANCEL" next="cancelled"/>' : `<recv request="CANCEL" timeout="${s.ringMs}" ontimeout="ring_over" next="cancelled"/>`;
  let after = '';
  if ('reject' in s) after = `${reply(`${s.reject} Rejected`)}\n  <recv request="ACK" next="end"/>`;
  if ('answer' in s) {
    const talk = s.hangUpAfterMs === undefined ? '<recv request="BYE"/>' : `<recv request="BYE" timeout="${s.hangUpAfterMs}" ontimeout="hang_up"/>`;
    after = `
  <send retrans="500"><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:[local_ip]:[local_port];transport=[transport]>
${SDP}
  ]]></send>
  <recv request="ACK"/>
  <nop><action><exec rtp_stream="${audio},-1,8"/></action></nop>
  ${talk}
  ${reply('200 OK', false)}
  <nop next="end"/>
  <label id="hang_up"/>${bye('callee')}`;
  }
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="callee">
  <recv request="INVITE" rrs="true">${busyNumber ? `
    <action><ereg regexp="^INVITE sip:\\${busyNumber}@" search_in="msg" check_it="false" assign_to="busy"/></action>` : ''}
  </recv>${busyNumber ? `
  <nop test="busy" next="busy"/>` : ''}
  ${reply('180 Ringing')}
  ${ringing}
  <label id="ring_over"/>
  ${after}
  <nop next="end"/>
  <label id="busy"/>
  ${reply('486 Busy Here')}
  <recv request="ACK" next="end"/>
  <label id="cancelled"/>
  ${reply('200 OK', false)}
  <send><![CDATA[
SIP/2.0 487 Request Terminated
[last_Via:]
[last_From:]
[last_To:];tag=[pid]SIPpTag01[call_number]
[last_Call-ID:]
CSeq: [last_cseq_number] INVITE
Content-Length: 0

  ]]></send>
  <!-- livekit-sip v1.8.0 did not ACK this 487 after its own ringing-timeout CANCEL in our runs: wait 2 s, no more. -->
  <recv request="ACK" timeout="2000" ontimeout="end"/>
  <label id="end"/>
</scenario>
`;
}

/** The caller's scenario: INVITE `number` at livekit-sip, talk until the other side hangs up (or hang up first). */
export function callerScenario(number: string, audio: string, hangUpAfterMs?: number): string {
  const talk = hangUpAfterMs === undefined ? '<recv request="BYE"/>' : `<recv request="BYE" timeout="${hangUpAfterMs}" ontimeout="hang_up"/>`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="caller">
  <send retrans="500"><![CDATA[
INVITE sip:${number}@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+15550009999@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:${number}@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:+15550009999@[local_ip]:[local_port]>
Max-Forwards: 70
${SDP}
  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
  <recv response="200" rrs="true"/>
  <send><![CDATA[
ACK [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:+15550009999@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Contact: <sip:+15550009999@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Length: 0

  ]]></send>
  <nop><action><exec rtp_stream="${audio},-1,8"/></action></nop>
  ${talk}
  ${reply('200 OK', false)}
  <nop next="end"/>
  <label id="hang_up"/>${bye('caller')}
  <label id="end"/>
</scenario>
`;
}

function runSipp(name: string, xml: string, args: string[], p: number, calls = 1): Phone {
  const scenario = join(dir, `${name}-${p}.xml`);
  writeFileSync(scenario, xml);
  const messages = join(dir, `${name}-${p}.messages.log`);
  const child = spawn(
    'sipp',
    [...args, '-sf', scenario, '-i', STACK.ip, '-p', String(p), '-mp', String(20_000 + (p - 5000) * 10), '-m', String(calls), '-nostdin', '-trace_msg', '-message_file', messages, '-trace_err', '-error_file', join(dir, `${name}-${p}.errors.log`)],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const trace = () => (existsSync(messages) ? readFileSync(messages, 'utf8') : '');
  return {
    port: p,
    trace,
    received: () =>
      [...trace().matchAll(/received \[\d+\] bytes[^\n]*\n\n([^\n]+)/g)].map((m) => {
        const first = m[1]!.trim();
        return first.startsWith('SIP/2.0') ? first.split(' ').slice(0, 2).join(' ') : first.split(' ')[0]!;
      }),
    exited,
    stop: () => void child.kill('SIGKILL'),
  };
}

/**
 * A callee on `port`, where a test's outbound trunk points (one phone at a time per port). `quietSeconds`: quiet after
 * each time it says its sentence (the loop's pause), so that answering-machine detection hears a greeting end.
 */
export function startCallee(script: CalleeScript, port: number, o: { busyNumber?: string; quietSeconds?: number } = {}): Phone {
  return runSipp('callee', calleeScenario(script, alawAudio(o.quietSeconds), o.busyNumber), [], port, o.busyNumber ? 2 : 1);
}

export function startCaller(number: string, o: { hangUpAfterMs?: number; quietSeconds?: number } = {}): Phone {
  return runSipp('caller', callerScenario(number, alawAudio(o.quietSeconds), o.hangUpAfterMs), [`${STACK.ip}:5060`], freshPort());
}
