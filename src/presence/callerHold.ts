/**
 * `dial.holdCaller.muteTrack`: while a dial is in flight, the legs being dialed do not hear the caller. Each dialed
 * participant in the room (the real SIP bridge puts a leg in the room as soon as dialing starts) is unsubscribed
 * server-side from the caller's microphone track (`RoomServiceClient.updateSubscriptions`), and subscribed again
 * when the hold ends, however the dial ended.
 *
 * Not `mutePublishedTrack`: a real livekit-server refuses to unmute a track remotely unless the operator enabled
 * `room.enable_remote_unmute` (off by default; measured in test/e2e/hold.test.ts), so a server-side mute would leave
 * the caller muted for the rest of the call. A subscription is the server's to give back. Permissions are never
 * touched either: they neither mute nor unmute a track.
 */
import { TrackSource } from '@livekit/rtc-node';
import type { RoomServiceClient } from 'livekit-server-sdk';
import { isDialedIdentity } from '../dialer/sipDialer.js';

/** What the hold reads of the caller: an rtc-node RemoteParticipant has it (tests give it the same shape). */
export interface HeldCaller {
  readonly identity: string;
  readonly trackPublications: ReadonlyMap<string, { readonly sid?: string; readonly source?: TrackSource }>;
}

export class CallerHold {
  private held = false;
  /** Legs unsubscribed from the caller's microphone, to subscribe again when the hold ends. */
  private readonly unsubscribed = new Set<string>();
  /**
   * Each leg's subscription requests, one after the other. Sent side by side, an unsubscribe and the subscribe that
   * undoes it can be applied by the server in either order: on the real server a leg turning `active` as its dial
   * settles (an unsubscribe) and the hold's release (a subscribe) were sent 0.3 ms apart, and the leg stayed
   * unsubscribed from the caller for the rest of the call.
   */
  private readonly requests = new Map<string, Promise<unknown>>();

  constructor(
    private readonly rooms: RoomServiceClient,
    private readonly roomName: string,
    private readonly caller: HeldCaller,
    /** The room's remote participants now (a dialed leg may join after the hold began). */
    private readonly participants: () => Iterable<{ readonly identity: string }>,
    private readonly onError: (identity: string, e: Error) => void,
  ) {}

  /** The bridge's `muteCaller`: holds (true) or releases (false) the caller. */
  async set(held: boolean): Promise<void> {
    const mic = this.micSid(held ? 'hold' : 'release');
    this.held = held;
    if (held) {
      await Promise.all([...this.participants()].filter((p) => isDialedIdentity(p.identity)).map((p) => this.unsubscribe(p.identity, mic)));
      return;
    }
    const legs = [...this.unsubscribed];
    this.unsubscribed.clear();
    await Promise.all(legs.map((identity) => this.subscription(identity, mic, true)));
  }

  /**
   * A participant joined, or a leg's call status changed: a leg dialed while the caller is held does not hear them
   * either. The SIP bridge subscribes a leg to the room's audio itself once it answers (before, it takes no media),
   * so a leg that becomes `active` during the hold (answered, while answering-machine detection decides) is
   * unsubscribed again.
   */
  joined(identity: string, again = false): void {
    if (!this.held || !isDialedIdentity(identity)) return;
    if (again) this.unsubscribed.delete(identity);
    let mic: string;
    try {
      mic = this.micSid('hold');
    } catch {
      return; // reported by set(true) already
    }
    this.unsubscribe(identity, mic).catch((e: Error) => this.onError(identity, e));
  }

  /** A participant left: nothing to give back to it. */
  left(identity: string): void {
    this.unsubscribed.delete(identity);
    this.requests.delete(identity);
  }

  private async unsubscribe(identity: string, mic: string): Promise<void> {
    if (this.unsubscribed.has(identity)) return;
    this.unsubscribed.add(identity);
    await this.subscription(identity, mic, false);
  }

  /** Sends one leg's subscription change after the ones already sent to it (a failed one does not stop the next). */
  private subscription(identity: string, mic: string, subscribe: boolean): Promise<void> {
    const previous = this.requests.get(identity) ?? Promise.resolve();
    const request = previous.catch(() => undefined).then(() => this.rooms.updateSubscriptions(this.roomName, identity, [mic], subscribe));
    this.requests.set(identity, request);
    return request.then(() => undefined);
  }

  private micSid(what: 'hold' | 'release'): string {
    const mic = [...this.caller.trackPublications.values()].find((p) => p.source === TrackSource.SOURCE_MICROPHONE);
    if (!mic?.sid) throw new Error(`caller ${this.caller.identity} has no microphone track to ${what === 'hold' ? 'mute' : 'unmute'}`);
    return mic.sid;
  }
}
