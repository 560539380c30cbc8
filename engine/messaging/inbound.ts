/**
 * What a provider reports after the send: receipts, reads, replies, unsubscribes, bot links. It lives
 * in the engine so the pure callback parsers (Viber, Telegram) can produce it; channels re-export it.
 */
export type InboundEvent =
  | { kind: 'delivered' | 'failed' | 'seen'; providerMessageId: string; at: Date; detail?: string }
  /** A customer wrote back (an SMS reply, a bot message): "STOP" withdraws consent. */
  | { kind: 'reply'; from: string; text: string; at: Date }
  /** The customer left the channel (Viber unsubscribed, Telegram bot blocked). */
  | { kind: 'unsubscribed'; from: string; at: Date }
  /** The customer opened the bot through a link carrying a one-time token (`start` payload, Viber context). */
  | { kind: 'linked'; from: string; token: string; at: Date };
