import { z } from 'zod';
import {
  decodeSms,
  encodeSms,
  splitUserDataHeader,
  udhIndicator,
  type EncodedSms,
} from '../../engine/messaging/sms-encoding';
import type { Logger } from '../../platform/logger';
import {
  answerSessionPdu,
  connectSmpp,
  onPdu,
  smppPdu,
  smppStatus,
  smppStatusName,
  type Pdu,
  type PduFields,
  type SmppSession,
} from '../../platform/smpp-wire';
import {
  ChannelError,
  type Channel,
  type InboundEvent,
  type InboundHandler,
  type OutgoingMessage,
  type SubmitResult,
} from './channel';

/** One SMSC account of one program, as stored in its provider settings. */
export const smppSettingsSchema = z
  .object({
    host: z.string().min(1).max(253),
    port: z.int().min(1).max(65_535),
    systemId: z.string().min(1).max(15),
    password: z.string().max(64),
    systemType: z.string().max(12).default(''),
    /** A name of up to 11 letters and digits, or a number (digits, optionally after `+`). */
    senderId: z
      .string()
      .regex(/^(\+?\d{1,15}|[A-Za-z0-9 ._-]{1,11})$/, 'a name of up to 11 characters or a number'),
    /** submit_sm PDUs awaiting their response at once. */
    window: z.int().min(1).max(1_000).default(10),
    /** PDUs (each part counts) in any one second. */
    ratePerSecond: z.int().min(1).max(100_000).default(50),
    /** An idle link is probed this often; one probe unanswered for as long replaces the connection. */
    enquireLinkSeconds: z.number().positive().max(3_600).default(30),
    reconnectMinMs: z.int().min(1).default(1_000),
    reconnectMaxMs: z.int().min(1).default(30_000),
    /** Longest wait for a bind before a submit gives up, and for each submit_sm_resp. */
    submitTimeoutMs: z.int().min(1).default(10_000),
  })
  .strict();
export type SmppSettings = z.infer<typeof smppSettingsSchema>;
export type SmppSettingsInput = z.input<typeof smppSettingsSchema>;

const interfaceVersion34 = 0x34;
const tonInternational = 1;
const npiIsdn = 1;
const tonAlphanumeric = 5;
const esmClassReceipt = 0x04;
/** Part ids of multi-part messages remembered for their receipts; the oldest is forgotten past this. */
const maxRememberedParts = 100_000;

/** Answers about the message itself: sending the same message again gets the same answer. */
const permanentStatuses = new Set([
  0x01, // ESME_RINVMSGLEN
  smppStatus.invalidDestination,
  0x43, // ESME_RINVESMCLASS
  0x50, // ESME_RINVDSTTON
  0x51, // ESME_RINVDSTNPI
  0x65, // ESME_RX_P_APPN: permanent error
  0x66, // ESME_RX_R_APPN: rejected
  0xfe, // ESME_RDELIVERYFAILURE
  0x104, // ESME_RINVDCS
]);
const statusReasons = new Map<number, string>([
  [smppStatus.invalidDestination, 'invalid_destination'],
  [smppStatus.throttled, 'throttled'],
  [smppStatus.queueFull, 'queue_full'],
]);

/**
 * A refused submit_sm. Anything not about the message (the account, the system, throttling, a full
 * queue, vendor codes) stays transient: the message may go once it passes.
 */
function statusError(status: number): ChannelError {
  const permanent = permanentStatuses.has(status);
  const reason = statusReasons.get(status) ?? (permanent ? 'rejected' : 'deferred');
  return new ChannelError(reason, permanent, `submit_sm refused: ${smppStatusName(status)}`);
}

/** stat of the receipt text for each message_state TLV value (SMPP 3.4 §5.3.2.35). */
const statOfState = new Map([
  [1, 'ENROUTE'],
  [2, 'DELIVRD'],
  [3, 'EXPIRED'],
  [4, 'DELETED'],
  [5, 'UNDELIV'],
  [6, 'ACCEPTD'],
  [7, 'UNKNOWN'],
  [8, 'REJECTD'],
]);
const failedStats = new Set(['UNDELIV', 'REJECTD', 'EXPIRED', 'DELETED', 'UNKNOWN']);

/**
 * A delivery receipt's message id, final state and error: the TLVs when present (exact), else the
 * text form `id:… sub:… dlvrd:… submit date:… done date:… stat:DELIVRD err:000 text:…`.
 */
function readReceipt(pdu: Pdu, text: string): { id: string; stat: string; err: string | null } | null {
  const id = pdu.receipted_message_id || /\bid:(\S+)/i.exec(text)?.[1];
  const stat =
    (pdu.message_state !== undefined ? statOfState.get(pdu.message_state) : undefined) ??
    /\bstat:(\w+)/i.exec(text)?.[1]?.toUpperCase();
  if (!id || !stat) return null;
  return { id, stat, err: /\berr:(\w+)/i.exec(text)?.[1] ?? null };
}

interface InFlightPart {
  session: SmppSession;
  fail(error: ChannelError): void;
}

/**
 * SMS over one SMPP 3.4 transceiver bind: reconnects with backoff, keeps at most `window` submit_sm
 * unanswered and at most `ratePerSecond` in any second, probes an idle link with enquire_link, and
 * hands receipts and replies to the inbound handler. It connects when built. Nothing is submitted
 * again by the channel: a part whose response was lost fails its message with a transient error.
 */
export class SmppChannel implements Channel {
  readonly kind = 'sms' as const;
  private readonly settings: SmppSettings;
  private readonly source: Pick<PduFields, 'source_addr' | 'source_addr_ton' | 'source_addr_npi'>;
  /** The current connection, bound or not. */
  private session: SmppSession | null = null;
  private bound: SmppSession | null = null;
  private readonly bindWaiters = new Set<() => void>();
  private readonly inFlight = new Set<InFlightPart>();
  /** Submits waiting for a window slot, oldest first (a Set keeps insertion order); false: closed. */
  private readonly slotWaiters = new Set<(granted: boolean) => void>();
  private outstanding = 0;
  /** When each of the last `ratePerSecond` PDUs went, as a ring. */
  private readonly recentSends: number[] = [];
  private recentIndex = 0;
  private rateTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private linkTimer: NodeJS.Timeout | null = null;
  private backoffMs: number;
  private lastHeard = 0;
  private probeSentAt: number | null = null;
  private reference = 0;
  private lastProblem = 'not connected yet';
  /** Later parts' message ids → the first part's, which the message log knows. */
  private readonly firstPartOf = new Map<string, string>();
  private readonly submits = new Set<Promise<unknown>>();
  /** Set the moment close() is called, before anything of the shutdown awaits. */
  private stopping = false;
  private closed: Promise<void> | null = null;

  constructor(
    settings: SmppSettingsInput,
    private readonly onInbound: InboundHandler,
    private readonly log?: Logger,
  ) {
    this.settings = smppSettingsSchema.parse(settings);
    this.backoffMs = this.settings.reconnectMinMs;
    const sender = this.settings.senderId;
    this.source = /^\+?\d+$/.test(sender)
      ? { source_addr: sender.replace('+', ''), source_addr_ton: tonInternational, source_addr_npi: npiIsdn }
      : { source_addr: sender, source_addr_ton: tonAlphanumeric, source_addr_npi: 0 };
    this.connect();
  }

  async submit(message: OutgoingMessage): Promise<SubmitResult> {
    if (this.stopping) throw new ChannelError('channel_closed', false);
    const destination = /^\+?(\d{1,15})$/.exec(message.to)?.[1];
    if (!destination) throw new ChannelError('invalid_destination', true, 'not a phone number in E.164');
    let sms: EncodedSms;
    try {
      this.reference = (this.reference + 1) & 0xff;
      sms = encodeSms(message.text, this.reference);
    } catch (error) {
      if (error instanceof RangeError) throw new ChannelError('message_too_long', true, error.message);
      throw error;
    }
    const work = this.submitParts(destination, sms);
    this.submits.add(work);
    try {
      return await work;
    } finally {
      this.submits.delete(work);
    }
  }

  /** Stops accepting, waits (at most submitTimeoutMs) for submits under way, unbinds and closes. */
  close(): Promise<void> {
    if (!this.closed) {
      this.stopping = true;
      this.closed = this.shutDown();
    }
    return this.closed;
  }

  private async shutDown(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    for (const waiter of [...this.bindWaiters]) waiter();
    await this.within(this.settings.submitTimeoutMs, Promise.allSettled([...this.submits]));
    if (this.rateTimer) clearTimeout(this.rateTimer);
    const session = this.session;
    if (session && this.bound === session) {
      await this.within(
        this.settings.submitTimeoutMs,
        new Promise<void>((resolve) => {
          if (!session.send(smppPdu('unbind'), () => resolve())) resolve();
        }),
      );
    }
    if (session) await new Promise<void>((resolve) => session.destroy(() => resolve()));
    for (const waiter of [...this.slotWaiters]) waiter(false);
    this.slotWaiters.clear();
  }

  private within(ms: number, work: Promise<unknown>): Promise<unknown> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise((resolve) => (timer = setTimeout(resolve, ms)));
    return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
  }

  private async submitParts(destination: string, sms: EncodedSms): Promise<SubmitResult> {
    const deadline = performance.now() + this.settings.submitTimeoutMs;
    const responses: Promise<string>[] = [];
    const ids: (string | undefined)[] = [];
    // Mapped as each response is read, before a receipt that may follow it in the same read.
    const accepted = (index: number, id: string) => {
      ids[index] = id;
      const first = ids[0];
      if (first === undefined) return;
      if (index > 0) this.rememberPart(id, first);
      else for (const later of ids.slice(1)) if (later !== undefined) this.rememberPart(later, first);
    };
    let failed = false;
    // Parts go out without waiting for each other's responses; a refused part stops the rest.
    for (const [index, shortMessage] of sms.parts.entries()) {
      const session = await this.sendSlot(deadline);
      if (failed) {
        this.releaseSlot();
        break;
      }
      const response = this.submitPart(
        session,
        {
          ...this.source,
          dest_addr_ton: tonInternational,
          dest_addr_npi: npiIsdn,
          destination_addr: destination,
          esm_class: sms.esmClass,
          registered_delivery: 1,
          data_coding: sms.dataCoding,
          short_message: shortMessage,
        },
        (id) => accepted(index, id),
      );
      response.catch(() => {
        failed = true;
      });
      responses.push(response);
    }
    const settled = await Promise.allSettled(responses);
    const refusal = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (refusal) {
      // Parts the SMSC took cannot be taken back: sending the message again would repeat them.
      const taken = settled.some((r) => r.status === 'fulfilled');
      const error = refusal.reason as unknown;
      if (!taken || !(error instanceof ChannelError)) throw error;
      throw new ChannelError(
        error.reason,
        false,
        `part refused after others were taken: ${error.message}`,
        true,
      );
    }
    const first = (settled[0] as PromiseFulfilledResult<string>).value;
    return { providerMessageId: first || null, parts: sms.parts.length };
  }

  private rememberPart(id: string, first: string): void {
    this.firstPartOf.set(id, first);
    if (this.firstPartOf.size > maxRememberedParts)
      this.firstPartOf.delete(this.firstPartOf.keys().next().value!);
  }

  /** A bound session and a window slot within the rate, waiting for a bind until `deadline`. */
  private async sendSlot(deadline: number): Promise<SmppSession> {
    for (;;) {
      await this.whenBound(deadline);
      const granted = await new Promise<boolean>((resolve) => {
        this.slotWaiters.add(resolve);
        this.grantSlots();
      });
      if (!granted) throw new ChannelError('channel_closed', false);
      if (this.bound && !this.stopping) return this.bound;
      this.releaseSlot();
      if (this.stopping) throw new ChannelError('channel_closed', false);
    }
  }

  private whenBound(deadline: number): Promise<void> {
    if (this.bound) return Promise.resolve();
    if (this.stopping) return Promise.reject(new ChannelError('channel_closed', false));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => {
          this.bindWaiters.delete(waiter);
          const waited = `not bound within ${this.settings.submitTimeoutMs} ms`;
          reject(new ChannelError('smsc_unavailable', false, `${waited}: ${this.lastProblem}`));
        },
        Math.max(0, deadline - performance.now()),
      );
      const waiter = () => {
        clearTimeout(timer);
        this.bindWaiters.delete(waiter);
        if (this.stopping) reject(new ChannelError('channel_closed', false));
        else resolve();
      };
      this.bindWaiters.add(waiter);
    });
  }

  /** Hands out slots in arrival order while the window has room and the last second's sends allow. */
  private grantSlots(): void {
    const rate = this.settings.ratePerSecond;
    while (this.slotWaiters.size > 0 && this.outstanding < this.settings.window) {
      const now = performance.now();
      const sentRateAgo = this.recentSends[this.recentIndex];
      if (sentRateAgo !== undefined && now - sentRateAgo < 1000) {
        this.rateTimer ??= setTimeout(
          () => {
            this.rateTimer = null;
            this.grantSlots();
          },
          Math.ceil(1000 - (now - sentRateAgo)),
        );
        return;
      }
      this.recentSends[this.recentIndex] = now;
      this.recentIndex = (this.recentIndex + 1) % rate;
      this.outstanding++;
      const waiter = this.slotWaiters.values().next().value!;
      this.slotWaiters.delete(waiter);
      waiter(true);
    }
  }

  private releaseSlot(): void {
    this.outstanding--;
    this.grantSlots();
  }

  /**
   * Sends one submit_sm and settles with its message_id, told to `onAccepted` first and at once; the
   * slot is released when it settles.
   */
  private submitPart(
    session: SmppSession,
    fields: PduFields,
    onAccepted: (messageId: string) => void,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      const part: InFlightPart = {
        session,
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      const settle = () => {
        clearTimeout(timer);
        this.inFlight.delete(part);
        this.releaseSlot();
      };
      const timer = setTimeout(() => {
        part.fail(new ChannelError('response_timeout', false, 'no submit_sm_resp in time', true));
        // A link that stops answering is replaced; what else is in flight on it fails as lost.
        this.lastProblem = 'a submit_sm_resp did not come';
        session.destroy();
      }, this.settings.submitTimeoutMs);
      this.inFlight.add(part);
      const sent = session.send(smppPdu('submit_sm', fields), (response) => {
        if (!this.inFlight.has(part)) return;
        settle();
        if (response.command_status === smppStatus.ok) {
          onAccepted(response.message_id ?? '');
          resolve(response.message_id ?? '');
        } else reject(statusError(response.command_status));
      });
      if (!sent)
        part.fail(new ChannelError('connection_lost', false, 'the connection closed before the send'));
    });
  }

  private connect(): void {
    const session = connectSmpp({ host: this.settings.host, port: this.settings.port });
    this.session = session;
    session.on('connect', () => this.bind(session));
    // `close` follows; the reconnect is decided there.
    session.on('error', (error: Error) => {
      this.lastProblem = error.message;
      session.destroy();
    });
    session.on('close', () => this.lost(session));
    onPdu(session, (pdu, octets) => this.receive(session, pdu, octets));
  }

  private bind(session: SmppSession): void {
    const timer = setTimeout(() => {
      this.lastProblem = 'no bind_transceiver_resp';
      session.destroy();
    }, this.settings.submitTimeoutMs);
    const bind = smppPdu('bind_transceiver', {
      system_id: this.settings.systemId,
      password: this.settings.password,
      system_type: this.settings.systemType,
      interface_version: interfaceVersion34,
    });
    session.send(bind, (response) => {
      clearTimeout(timer);
      if (response.command_status !== smppStatus.ok) {
        this.lastProblem = `bind refused: ${smppStatusName(response.command_status)}`;
        session.destroy();
        return;
      }
      if (this.stopping || this.session !== session) return;
      this.bound = session;
      this.backoffMs = this.settings.reconnectMinMs;
      this.lastHeard = performance.now();
      this.probeSentAt = null;
      const periodMs = this.settings.enquireLinkSeconds * 1000;
      this.linkTimer = setInterval(() => this.probeLink(session, periodMs), periodMs);
      for (const waiter of [...this.bindWaiters]) waiter();
    });
  }

  /** enquire_link when nothing came for a period; a probe unanswered for a period ends the connection. */
  private probeLink(session: SmppSession, periodMs: number): void {
    const now = performance.now();
    if (this.probeSentAt !== null) {
      if (now - this.probeSentAt >= periodMs) {
        this.lastProblem = 'enquire_link unanswered';
        session.destroy();
      }
      return;
    }
    if (now - this.lastHeard < periodMs) return;
    this.probeSentAt = now;
    session.send(smppPdu('enquire_link'), () => (this.probeSentAt = null));
  }

  private lost(session: SmppSession): void {
    if (this.session !== session) return;
    this.session = null;
    this.bound = null;
    if (this.linkTimer) clearInterval(this.linkTimer);
    this.linkTimer = null;
    for (const part of [...this.inFlight]) {
      if (part.session === session) {
        part.fail(
          new ChannelError('connection_lost', false, `the SMPP connection closed: ${this.lastProblem}`, true),
        );
      }
    }
    if (this.stopping) return;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.settings.reconnectMaxMs);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      this.connect();
    }, delay);
  }

  private receive(session: SmppSession, pdu: Pdu, octets: Buffer | null): void {
    this.lastHeard = performance.now();
    switch (pdu.command) {
      case 'deliver_sm':
        void this.deliver(session, pdu, octets ?? Buffer.alloc(0));
        return;
      default:
        answerSessionPdu(session, pdu);
    }
  }

  /**
   * Hands a receipt or a reply to the inbound handler, then answers. A handler that fails gets the
   * SMSC a temporary error, so the SMSC keeps the deliver_sm and offers it again later.
   */
  private async deliver(session: SmppSession, pdu: Pdu, octets: Buffer): Promise<void> {
    let status: number = smppStatus.ok;
    try {
      const event = this.inboundEvent(pdu, octets);
      if (event) await this.onInbound(event);
    } catch (error) {
      status = smppStatus.temporaryAppError;
      this.log?.warn({ err: error }, 'an SMS receipt or reply was not handled; the SMSC will offer it again');
    }
    session.send(pdu.response({ command_status: status }));
  }

  private inboundEvent(pdu: Pdu, octets: Buffer): InboundEvent | null {
    const esmClass = pdu.esm_class ?? 0;
    const body = esmClass & udhIndicator ? splitUserDataHeader(octets).body : octets;
    const text = decodeSms(body, pdu.data_coding ?? 0);
    const at = new Date();
    if (!(esmClass & esmClassReceipt) && pdu.receipted_message_id === undefined) {
      const from = (pdu.source_addr ?? '').replace(/^\+/, '');
      return { kind: 'reply', from: pdu.source_addr_ton === tonAlphanumeric ? from : `+${from}`, text, at };
    }
    const receipt = readReceipt(pdu, text);
    if (!receipt) return null;
    const first = this.firstPartOf.get(receipt.id);
    if (receipt.stat === 'DELIVRD') {
      // A message is delivered when its first part is; a later part can only fail it.
      return first === undefined ? { kind: 'delivered', providerMessageId: receipt.id, at } : null;
    }
    if (!failedStats.has(receipt.stat)) return null; // ENROUTE, ACCEPTD: not final
    const detail = receipt.err === null ? receipt.stat : `${receipt.stat} err:${receipt.err}`;
    return { kind: 'failed', providerMessageId: first ?? receipt.id, at, detail };
  }
}
