import type { ChannelKind } from '../../engine/messaging/contracts';
import type { InboundEvent } from '../../engine/messaging/inbound';

/** One message as a channel submits it: already rendered, already allowed by the rules of sending. */
export interface OutgoingMessage {
  /** The message log's id: the channel passes it back in receipts it cannot match by provider id. */
  messageId: number;
  /** A phone in E.164 (`+79161234567`), an e-mail address, a Viber user id or a Telegram chat id. */
  to: string;
  text: string;
  /** E-mail only. */
  subject?: string;
  html?: string;
  headers?: Record<string, string>;
  /** Viber and Telegram: an image and one button under the text. */
  imageUrl?: string;
  button?: { text: string; url: string };
}

/** What the provider answered when it took a message. */
export interface SubmitResult {
  /** The provider's id, matched against later receipts (SMPP message_id, SMTP queue id, Viber token). */
  providerMessageId: string | null;
  /** SMS segments sent (1 for other channels). */
  parts: number;
}

/**
 * A provider refused or could not be reached. `permanent`: retrying the same message is useless (bad
 * number, rejected address); otherwise it may be retried later. `uncertain`: the message may have
 * reached the provider before the failure (no answer to a request that went out, a long SMS whose
 * first part was taken): it must not be sent again. `reason` is short and safe to log.
 */
export class ChannelError extends Error {
  constructor(
    readonly reason: string,
    readonly permanent: boolean,
    message?: string,
    readonly uncertain = false,
  ) {
    super(message ?? reason);
    this.name = 'ChannelError';
  }
}

export type { InboundEvent } from '../../engine/messaging/inbound';

/** One provider connection of one program. Implementations own reconnects, windows and rate limits. */
export interface Channel {
  readonly kind: ChannelKind;
  submit(message: OutgoingMessage): Promise<SubmitResult>;
  /** Stops accepting, waits for what is in flight, closes connections. */
  close(): Promise<void>;
}

/** Where a channel hands what it hears from the provider. */
export type InboundHandler = (event: InboundEvent) => void | Promise<void>;
