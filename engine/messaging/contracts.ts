import { z } from 'zod';

/** The channels a message can go out on; `receipt` prints it on the customer's next check (no provider). */
export const channelSchema = z.enum(['sms', 'email', 'viber', 'telegram', 'receipt']);
export type ChannelKind = z.infer<typeof channelSchema>;

/**
 * `transactional`: one-time codes, activation links, receipts — never capped, never delayed, sent
 * without marketing consent. `marketing`: campaigns and journeys — consent, quiet hours and caps apply.
 */
export const purposeSchema = z.enum(['transactional', 'marketing']);
export type MessagePurpose = z.infer<typeof purposeSchema>;

/**
 * A message's life: `queued` (waiting, maybe until quiet hours end) → `sending` (recorded before the
 * provider is asked) → `sent` (the provider accepted it) → `delivered` / `failed` (its receipt);
 * `unknown` when a send was interrupted after `sending` and it cannot be known whether it left;
 * `skipped` when the rules of sending stopped it (the reason is recorded). Opens, clicks and seen
 * are recorded beside the status, not instead of it.
 */
export const messageStatusSchema = z.enum([
  'queued',
  'sending',
  'sent',
  'delivered',
  'failed',
  'unknown',
  'skipped',
]);
export type MessageStatus = z.infer<typeof messageStatusSchema>;

/** A local time of day, `HH:MM`. */
export const localTimeSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day such as 21:00');

export const capSchema = z
  .object({
    messages: z.int().min(1).max(1_000_000_000),
    periodHours: z
      .int()
      .min(1)
      .max(24 * 366),
  })
  .strict();
export type Cap = z.infer<typeof capSchema>;

/** How a program sends; part of the program settings (`settings.messaging`). */
export const messagingPolicySchema = z
  .object({
    /**
     * `consent`: marketing needs the customer's recorded consent (opt-in, the default);
     * `legitimate-interest`: marketing goes out unless the customer withdrew it (opt-out).
     */
    legalBasis: z.enum(['consent', 'legitimate-interest']).default('consent'),
    /** Marketing messages due inside this local window wait until it ends; null: no quiet hours. */
    quietHours: z
      .object({ from: localTimeSchema, to: localTimeSchema })
      .strict()
      .nullable()
      .default({ from: '21:00', to: '09:00' }),
    /** At most this many marketing messages to one customer per period (all channels). */
    customerCap: capSchema.nullable().default({ messages: 3, periodHours: 24 * 7 }),
    /** At most this many marketing messages of the whole program per period; null: no program cap. */
    programCap: capSchema.nullable().default(null),
    /** Tried in order when a channel cannot reach the customer or fails (Viber → SMS). */
    fallback: z.array(channelSchema).max(5).default(['viber', 'sms']),
  })
  .strict();
export type MessagingPolicy = z.infer<typeof messagingPolicySchema>;

/** A marketing topic or `all`; consent is kept per channel and topic. */
export const topicSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a topic such as promotions or news, lower case');
