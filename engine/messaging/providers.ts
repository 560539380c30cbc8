import { z } from 'zod';

/**
 * A provider is one connection of a program to a gateway: an SMSC over SMPP, an SMTP relay, a Viber
 * bot or a Telegram bot. `settings` may be shown to staff; `credentials` are write-only (sealed at
 * rest, never returned, never logged).
 */

const host = z.string().min(1).max(253);
const port = z.int().min(1).max(65_535);
const httpUrl = z.url({ protocol: /^https?$/ }).max(2000);

export const smppSettingsSchema = z
  .object({
    host,
    port: port.default(2775),
    systemId: z.string().min(1).max(16),
    systemType: z.string().max(13).optional(),
    /** An alphanumeric name (up to 11 characters) or a number. */
    senderId: z
      .string()
      .regex(/^(\+?\d{1,15}|[A-Za-z0-9 ._-]{1,11})$/, 'up to 11 letters and digits, or a number'),
    /** submit_sm awaiting their responses at once. */
    window: z.int().min(1).max(100).default(10),
    /** PDUs a second the SMSC allows this account. */
    ratePerSecond: z.int().min(1).max(10_000).default(50),
    enquireLinkSeconds: z.int().min(5).max(600).default(30),
  })
  .strict();

export const emailSettingsSchema = z
  .object({
    host,
    port: port.default(587),
    /** Implicit TLS (port 465); otherwise STARTTLS when the server offers it. */
    secure: z.boolean().default(false),
    from: z.object({ address: z.email(), name: z.string().max(100).optional() }).strict(),
    replyTo: z.email().optional(),
    maxConnections: z.int().min(1).max(20).default(2),
    ratePerSecond: z.int().min(1).max(1000).default(20),
    /** Accept a self-signed certificate (a relay inside the network). */
    allowSelfSigned: z.boolean().default(false),
  })
  .strict();

export const viberSettingsSchema = z
  .object({
    baseUrl: httpUrl.default('https://chatapi.viber.com'),
    senderName: z.string().min(1).max(28),
    senderAvatar: httpUrl.optional(),
    /** The bot's public URI: customers link their account through viber://pa?chatURI=<uri>&context=<token>. */
    chatUri: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'the bot URI'),
  })
  .strict();

export const telegramSettingsSchema = z
  .object({
    baseUrl: httpUrl.default('https://api.telegram.org'),
    botUsername: z.string().regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'the bot username without @'),
  })
  .strict();

const smppCredentials = z.object({ password: z.string().min(1).max(9) }).strict();
const emailCredentials = z
  .object({ user: z.string().min(1).max(256), password: z.string().min(1).max(256) })
  .partial()
  .strict();
const viberCredentials = z.object({ authToken: z.string().min(10).max(200) }).strict();
const telegramCredentials = z
  .object({ botToken: z.string().regex(/^\d+:[A-Za-z0-9_-]{20,}$/, 'a bot token such as 123:ABC…') })
  .strict();

export const providerConfigSchema = z.discriminatedUnion('channel', [
  z.object({ channel: z.literal('sms'), settings: smppSettingsSchema, credentials: smppCredentials }),
  z.object({ channel: z.literal('email'), settings: emailSettingsSchema, credentials: emailCredentials }),
  z.object({ channel: z.literal('viber'), settings: viberSettingsSchema, credentials: viberCredentials }),
  z.object({
    channel: z.literal('telegram'),
    settings: telegramSettingsSchema,
    credentials: telegramCredentials,
  }),
]);
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ProviderChannel = ProviderConfig['channel'];
export type SmppSettings = z.infer<typeof smppSettingsSchema>;
export type EmailSettings = z.infer<typeof emailSettingsSchema>;
export type ViberSettings = z.infer<typeof viberSettingsSchema>;
export type TelegramSettings = z.infer<typeof telegramSettingsSchema>;

const providerName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'a name such as main-smsc');

export const createProviderSchema = z
  .object({
    name: providerName,
    /** A lower number is tried first among a program's providers of one channel. */
    priority: z.int().min(0).max(1000).default(0),
  })
  .and(providerConfigSchema);

export const updateProviderSchema = z
  .object({
    name: providerName,
    priority: z.int().min(0).max(1000).optional(),
    settings: z.record(z.string(), z.unknown()).optional(),
    /** Given: replaces the credentials; left out: keeps them. */
    credentials: z.record(z.string(), z.unknown()).optional(),
    status: z.enum(['active', 'disabled']).optional(),
  })
  .strict();

export const providerSchema = z.object({
  id: z.int(),
  name: z.string(),
  channel: z.enum(['sms', 'email', 'viber', 'telegram']),
  priority: z.int(),
  status: z.enum(['active', 'disabled']),
  settings: z.record(z.string(), z.unknown()),
  /** Which credential fields are set; never their values. */
  credentialsSet: z.array(z.string()),
  /** Where the provider must send its callbacks (Viber, Telegram): set on the provider's side by us. */
  webhookUrl: z.string().nullable(),
  updatedAt: z.string(),
  updatedBy: z.string(),
});
export type Provider = z.infer<typeof providerSchema>;
