import { z } from 'zod';
import { identifierSchema } from '../contracts/identifier';
import { channelSchema, purposeSchema, topicSchema } from './contracts';

/**
 * Message templates as the API, the OpenAPI document and the studio see them: Liquid text per channel
 * and per locale. Every string below is a Liquid template (engine/messaging/templates.ts checks them).
 */

export const templateKeySchema = z
  .string()
  .regex(/^[a-z][a-z0-9_.-]{0,63}$/, 'a key such as welcome or birthday.coupon, lower case');

export const templateLocaleSchema = z.string().regex(/^[a-z]{2}$/, 'a two-letter language code such as ru');

/** Liquid source; the limits keep one template's parse and the 1 MB request body in proportion. */
const liquid = (max: number) => z.string().min(1).max(max);

const buttonSchema = z
  .object({ text: liquid(200), url: liquid(2_000).describe('Liquid: {{ link }} is allowed') })
  .strict();

export const smsPartSchema = z.object({ text: liquid(5_000) }).strict();
export const emailPartSchema = z
  .object({
    subject: liquid(1_000),
    text: liquid(100_000).describe('the plain-text alternative'),
    html: liquid(500_000).optional().describe('output is HTML-escaped; `| raw` prints a value as it is'),
  })
  .strict();
/** Viber and Telegram: text with an optional picture and one button. */
export const botPartSchema = z
  .object({ text: liquid(5_000), imageUrl: liquid(2_000).optional(), button: buttonSchema.optional() })
  .strict();
/** Printed on the customer's next receipt. */
export const receiptPartSchema = z.object({ text: liquid(2_000) }).strict();

/** At most this many locales per channel: a template is not a translation memory. */
const maxLocales = 20;
const byLocale = <T extends z.ZodType>(part: T) =>
  z
    .record(templateLocaleSchema, part)
    .refine((locales) => Object.keys(locales).length > 0, 'give the text of at least one locale')
    .refine((locales) => Object.keys(locales).length <= maxLocales, `at most ${maxLocales} locales`);

export const templateContentSchema = z
  .object({
    sms: byLocale(smsPartSchema).optional(),
    email: byLocale(emailPartSchema).optional(),
    viber: byLocale(botPartSchema).optional(),
    telegram: byLocale(botPartSchema).optional(),
    receipt: byLocale(receiptPartSchema).optional(),
  })
  .strict()
  .refine((content) => Object.values(content).some(Boolean), 'give the content of at least one channel')
  .describe('per channel (sms, email, viber, telegram, receipt), per locale (ru, en…): Liquid text');
export type TemplateContent = z.infer<typeof templateContentSchema>;

/** Any channel's part, as the renderer reads it. */
export type TemplatePart = {
  subject?: string | undefined;
  text: string;
  html?: string | undefined;
  imageUrl?: string | undefined;
  button?: { text: string; url: string } | undefined;
};

const description = z.string().trim().min(1).max(500);

export const createTemplateSchema = z
  .object({
    key: templateKeySchema,
    purpose: purposeSchema,
    topic: topicSchema
      .optional()
      .describe('marketing only: the consent topic (promotions when not given); transactional have none'),
    content: templateContentSchema,
    description: description.optional(),
  })
  .strict()
  .refine((body) => body.purpose === 'marketing' || body.topic === undefined, {
    message: 'a transactional template has no topic: it goes out without marketing consent',
    path: ['topic'],
  });
export type CreateTemplate = z.infer<typeof createTemplateSchema>;

export const updateTemplateSchema = z
  .object({
    key: templateKeySchema,
    content: templateContentSchema,
    topic: topicSchema.optional().describe('marketing only; the current topic when not given'),
    description: description.optional().describe('the current description when not given'),
  })
  .strict();
export type UpdateTemplate = z.infer<typeof updateTemplateSchema>;

export const templateRefSchema = z.object({ key: templateKeySchema }).strict();

export const templateStatusSchema = z.enum(['active', 'archived']);
export type TemplateStatus = z.infer<typeof templateStatusSchema>;

export const templateSchema = z.object({
  key: z.string(),
  purpose: purposeSchema,
  topic: z.string().nullable(),
  version: z
    .number()
    .int()
    .describe('1 when created, one more on every update; older versions stay readable'),
  status: templateStatusSchema,
  content: templateContentSchema,
  description: z.string().nullable(),
  updatedAt: z.string().describe('when this version was saved'),
  updatedBy: z.string(),
});
export type Template = z.infer<typeof templateSchema>;

export const templateListQuerySchema = z
  .object({
    status: z.enum(['active', 'archived', 'all']).default('active'),
    purpose: purposeSchema.optional(),
  })
  .strict();
export type TemplateListQuery = z.infer<typeof templateListQuerySchema>;

export const templateListSchema = z.object({ templates: z.array(templateSchema) });

export const templateVersionQuerySchema = z
  .object({
    version: z.coerce.number().int().min(1).max(1_000_000).optional().describe('the latest when not given'),
  })
  .strict();

export const templatePreviewRequestSchema = z
  .object({
    key: templateKeySchema.optional().describe('a saved template; or give content'),
    version: z
      .int()
      .min(1)
      .max(1_000_000)
      .optional()
      .describe('of the saved template; the latest when not given'),
    content: templateContentSchema.optional().describe('content not saved yet; or give key'),
    channel: channelSchema,
    locale: templateLocaleSchema
      .optional()
      .describe("tried first; then the customer's, the program's, ru, en"),
    customer: identifierSchema.optional().describe('whose data fills the variables; samples when not given'),
    couponId: z.int().min(1).max(Number.MAX_SAFE_INTEGER).optional(),
  })
  .strict()
  .refine((body) => (body.key === undefined) !== (body.content === undefined), {
    message: 'give either key or content',
    path: ['key'],
  })
  .refine((body) => body.version === undefined || body.key !== undefined, {
    message: 'version goes with key',
    path: ['version'],
  });

export const templatePreviewSchema = z.object({
  channel: channelSchema,
  locale: z.string(),
  subject: z.string().optional(),
  text: z.string(),
  html: z.string().optional(),
  imageUrl: z.string().optional(),
  button: z.object({ text: z.string(), url: z.string() }).optional(),
  variables: z
    .record(z.string(), z.unknown())
    .describe('the variables the rendered part reads, by path, with their values'),
});
