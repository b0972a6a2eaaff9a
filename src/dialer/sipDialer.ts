/**
 * Outbound SIP dialing through LiveKit's server API with the unmodified `livekit-server-sdk` clients.
 * A dial never throws: it settles with an outcome the machine understands. Cancelling is an explicit act (remove
 * the dial's participant), never a side effect of anything else.
 */
import { RoomServiceClient, SipCallError, SipClient, TwirpError } from 'livekit-server-sdk';
import type { DialOutcome } from '../../machines/events.js';
import { outcomeForSipStatus } from '../sip/plan.js';
import { apiFailureDetail } from './apiFailure.js';

export interface DialResult {
  outcome: DialOutcome;
  /** The room participant of an answered dial (its leg). */
  identity?: string;
  sipStatus?: number;
  /** Why a dial failed without a SIP status (credentials, network); safe to log. */
  detail?: string;
}

export interface Dialer {
  /**
   * Dials `number`. `placed` hears the identity the leg will have in the room before anything is sent, so the leg can
   * be watched from the moment it joins (on the real SIP bridge: while it still rings).
   */
  dial(number: string, placed?: (identity: string) => void): Promise<DialResult>;
  /** Ends the dial explicitly: removes its participant, which stops a ringing leg. */
  cancel(number: string): Promise<void>;
  /** Removes an answered leg nobody should be conferenced with (a machine answered). */
  hangup(number: string): Promise<void>;
}

export interface SipDialerOptions {
  url: string;
  apiKey: string;
  apiSecret: string;
  roomName: string;
  trunkId: string;
  /** dial.ringingTimeout, seconds. */
  ringingTimeout: number;
  log?: (fields: Record<string, unknown>, msg: string) => void;
}

/** The identity this dialer gives the participant it dials (one per dial). */
export const dialedIdentity = (number: string, seq: number) => `sip-${number.replace(/\D/g, '')}-${seq}`;
/** Whether a room participant is one this agent dialed (a callee), by the identity scheme above. */
export const isDialedIdentity = (identity: string) => /^sip-\d+-\d+$/.test(identity);

export class SipDialer implements Dialer {
  private readonly sip: SipClient;
  private readonly rooms: RoomServiceClient;
  private readonly identities = new Map<string, string>();
  /**
   * Legs we removed while they rang. livekit-sip reports such a leg as it reports one that rang out (twirp canceled,
   * no SIP status, measured in test/e2e/contract.test.ts), so only we know the dial was cancelled.
   */
  private readonly cancelled = new Set<string>();
  private seq = 0;

  constructor(private readonly o: SipDialerOptions) {
    this.sip = new SipClient(o.url, o.apiKey, o.apiSecret);
    this.rooms = new RoomServiceClient(o.url, o.apiKey, o.apiSecret);
  }

  async dial(number: string, placed?: (identity: string) => void): Promise<DialResult> {
    // One identity per dial, so cancelling one dial can never remove another participant.
    const identity = dialedIdentity(number, ++this.seq);
    this.identities.set(number, identity);
    placed?.(identity);
    try {
      await this.sip.createSipParticipant(this.o.trunkId, number, this.o.roomName, {
        participantIdentity: identity,
        waitUntilAnswered: true,
        ringingTimeout: this.o.ringingTimeout,
      });
      return { outcome: 'answered', identity };
    } catch (e) {
      const described = describeFailure(e);
      const result: DialResult = this.cancelled.has(identity) && described.outcome === 'no-answer' ? { ...described, outcome: 'cancelled' } : described;
      this.o.log?.({ number, identity, ...result }, 'dial failed');
      return result;
    } finally {
      this.cancelled.delete(identity); // settled, however: a cancel that lost the race to an answer is not kept
    }
  }

  async cancel(number: string): Promise<void> {
    const identity = this.identities.get(number);
    if (identity) this.cancelled.add(identity);
    await this.remove(number, 'dial cancel failed');
  }

  async hangup(number: string): Promise<void> {
    await this.remove(number, 'hanging up the leg failed');
  }

  private async remove(number: string, failure: string): Promise<void> {
    const identity = this.identities.get(number);
    if (!identity) return;
    try {
      await this.rooms.removeParticipant(this.o.roomName, identity);
    } catch (e) {
      this.o.log?.({ number, identity, ...describeFailure(e) }, failure);
    }
  }
}

export function describeFailure(e: unknown): DialResult {
  if (e instanceof SipCallError) {
    const status = e.sipStatusCode;
    return status === undefined ? { outcome: 'failed', detail: e.message } : { outcome: outcomeForSipStatus(status), sipStatus: status };
  }
  // livekit-sip gives up on a leg that rang past `ringingTimeout` (or never answered at all) with no SIP status:
  // twirp `canceled`, HTTP 408, "sip request timed out" (measured on the real bridge, test/e2e/dial.test.ts).
  if (e instanceof TwirpError && e.status === 408 && e.code === 'canceled') return { outcome: 'no-answer', detail: `no answer (${e.message})` };
  return { outcome: 'failed', detail: apiFailureDetail(e) };
}
