import { z } from 'zod';
import { businessTimeSchema } from '../contracts/customer-event';
import { identifierSchema } from '../contracts/identifier';
import { allTopics } from './consent';
import { channelSchema, topicSchema } from './contracts';

/**
 * Where a statement given through the API came from: the API itself, the web cabinet, the registration
 * form, an import, a paper questionnaire, a contact-centre agent.
 */
export const consentSourceSchema = z.enum(['api', 'web', 'registration', 'import', 'paper', 'agent']);
export type ConsentSource = z.infer<typeof consentSourceSchema>;

/** Withdrawals the platform receives itself: an unsubscribe link, a STOP reply, a provider's unsubscribe. */
export const withdrawalSourceSchema = z.enum(['link', 'reply', 'provider']);
export type WithdrawalSource = z.infer<typeof withdrawalSourceSchema>;

export const ledgerSourceSchema = z.enum([...consentSourceSchema.options, ...withdrawalSourceSchema.options]);
export type LedgerSource = z.infer<typeof ledgerSourceSchema>;

export const consentChangeSchema = z
  .object({
    channel: channelSchema,
    topic: topicSchema.default(allTopics).describe('a marketing topic, or all (every topic of the channel)'),
    granted: z.boolean().describe('true: the customer agrees; false: the customer withdraws'),
  })
  .strict();
export type ConsentChange = z.infer<typeof consentChangeSchema>;

export const recordConsentsSchema = z
  .object({
    customer: identifierSchema,
    changes: z
      .array(consentChangeSchema)
      .min(1)
      .max(20)
      // One statement per channel and topic: a yes and a no to the same thing at the same time say nothing.
      .superRefine((changes, ctx) => {
        const seen = new Set<string>();
        changes.forEach((change, index) => {
          const key = `${change.channel}/${change.topic}`;
          if (seen.has(key)) {
            ctx.addIssue({ code: 'custom', path: [index], message: `${key} is stated twice` });
          }
          seen.add(key);
        });
      }),
    source: consentSourceSchema,
    occurredAt: businessTimeSchema.describe('when the customer said it'),
  })
  .strict();
export type RecordConsents = z.infer<typeof recordConsentsSchema>;

export const consentCustomerSchema = z.object({ customer: identifierSchema }).strict();

export const consentsAnswerSchema = z.object({
  customerId: z.int(),
  legalBasis: z.enum(['consent', 'legitimate-interest']),
  /** The latest statement per channel and topic. */
  consents: z.array(
    z.object({ channel: channelSchema, topic: z.string(), granted: z.boolean(), occurredAt: z.string() }),
  ),
  /** What the statements and the legal basis mean for marketing, per channel (`all`) and stated topic. */
  marketing: z.array(
    z.object({
      channel: channelSchema,
      topic: z.string(),
      granted: z.boolean().nullable().describe('null: nothing stated for exactly this channel and topic'),
      effective: z.enum(['allowed', 'not allowed: no consent', 'not allowed: consent withdrawn']),
    }),
  ),
});
export type ConsentsAnswer = z.infer<typeof consentsAnswerSchema>;

export const consentLedgerQuerySchema = z
  .object({
    customer: identifierSchema,
    /** The `nextCursor` of the previous page (a ledger entry id). */
    cursor: z.int().positive().optional(),
    limit: z.int().min(1).max(200).default(50),
  })
  .strict();

export const consentLedgerPageSchema = z.object({
  items: z.array(
    z.object({
      id: z.int(),
      channel: channelSchema,
      topic: z.string(),
      granted: z.boolean(),
      source: ledgerSourceSchema,
      actor: z.string(),
      occurredAt: z.string(),
      recordedAt: z.string(),
    }),
  ),
  nextCursor: z.int().nullable(),
});
export type ConsentLedgerPage = z.infer<typeof consentLedgerPageSchema>;
