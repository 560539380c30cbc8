import { z } from 'zod';
import { businessTimeSchema } from '../contracts/customer-event';
import { identifierSchema } from '../contracts/identifier';
import { channelSchema, messageStatusSchema, purposeSchema } from './contracts';
import { templateKeySchema } from './template-content';

/** What sent a message, for per-campaign logs and reports: `journey:12`, `campaign:spring-sale`. */
export const campaignSchema = z
  .string()
  .regex(/^[a-z][a-z0-9_-]{0,31}:[A-Za-z0-9_.-]{1,100}$/, 'kind:name, such as campaign:spring-sale');

export const sendMessageSchema = z
  .object({
    customer: identifierSchema,
    template: templateKeySchema.describe("a template of the program's (or one-time-code, activation-link)"),
    channels: z
      .array(channelSchema)
      .min(1)
      .max(5)
      .optional()
      .describe(
        "in order of preference; left out: the program's fallback order (settings.messaging.fallback)",
      ),
    campaign: campaignSchema.optional(),
    variables: z
      .object({
        link: z
          .url({ protocol: /^https?$/ })
          .max(2000)
          .optional(),
      })
      .strict()
      .optional()
      .describe('values beside the customer’s own'),
    couponId: z.int().positive().optional().describe('the coupon the template prints ({{ coupon.code }})'),
    occurredAt: businessTimeSchema.describe('the business time of what the message is about'),
  })
  .strict();
export type SendMessage = z.infer<typeof sendMessageSchema>;

export const queuedMessageSchema = z.object({
  messageId: z.int(),
  channel: channelSchema,
  status: z.enum(['queued', 'skipped']),
  reason: z
    .string()
    .nullable()
    .describe('why it was skipped: no_consent, consent_withdrawn, customer_cap, program_cap, no_destination'),
  sentTo: z.string().describe('masked'),
  notBefore: z.string().describe('quiet hours delay marketing to this instant'),
});

export const messageSchema = z.object({
  id: z.int(),
  customerId: z.int().nullable(),
  channel: channelSchema,
  purpose: purposeSchema,
  kind: z.string(),
  topic: z.string().nullable(),
  template: z.string().nullable(),
  templateVersion: z.int().nullable(),
  locale: z.string().nullable(),
  campaign: z.string().nullable(),
  status: messageStatusSchema,
  reason: z.string().nullable(),
  sentTo: z.string().describe('masked'),
  subject: z.string().nullable(),
  body: z.string().describe('as sent; a one-time code masked'),
  parts: z.int().nullable(),
  previousMessageId: z.int().nullable().describe('the message this one replaced along the fallback chain'),
  occurredAt: z.string(),
  queuedAt: z.string(),
  notBefore: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  failedAt: z.string().nullable(),
  openedAt: z.string().nullable(),
  clickedAt: z.string().nullable(),
  seenAt: z.string().nullable(),
});
export type MessageLogItem = z.infer<typeof messageSchema>;

export const messageEventSchema = z.object({
  kind: z.string(),
  at: z.string(),
  detail: z.record(z.string(), z.unknown()),
});

export const messageDetailSchema = messageSchema.extend({ events: z.array(messageEventSchema) });

const page = {
  cursor: z.int().positive().optional().describe('the nextCursor of the previous page'),
  limit: z.int().min(1).max(200).default(50),
};

export const customerMessagesQuerySchema = z.object({ customer: identifierSchema, ...page }).strict();
export const campaignMessagesQuerySchema = z
  .object({ campaign: campaignSchema, status: messageStatusSchema.optional(), ...page })
  .strict();

export const messagePageSchema = z.object({
  items: z.array(messageSchema),
  nextCursor: z.int().nullable(),
});

export const campaignSummarySchema = z.object({
  campaign: z.string(),
  byStatus: z.partialRecord(messageStatusSchema, z.int()),
  byChannel: z.partialRecord(channelSchema, z.int()),
  skippedBy: z.record(z.string(), z.int()).describe('skipped messages by reason'),
  opened: z.int(),
  clicked: z.int(),
  seen: z.int(),
});

export const messageIdParamsSchema = z.object({ id: z.coerce.number().int().positive() }).strict();

export const channelLinkRequestSchema = z
  .object({
    customer: identifierSchema,
    channel: z.enum(['viber', 'telegram']),
    /** Also send the link to the customer by SMS or e-mail. */
    sendBy: z.enum(['sms', 'email']).optional(),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const channelLinkSchema = z.object({
  url: z.string().describe('the deep link; it carries a one-time token valid for a day'),
  expiresAt: z.string(),
  message: queuedMessageSchema.nullable(),
});
