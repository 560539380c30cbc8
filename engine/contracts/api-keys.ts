import { z } from 'zod';

/** API keys: who may call the engine API, for which partner, store or staff user, how often, with which scopes. */

/** Every scope a route may ask for (`requireScope` takes only these); a key holds a subset. */
export const apiScopes = [
  'events:write',
  'customers:read',
  'customers:write',
  'customers:merge',
  'operations:write',
  'operations:adjust',
  'cards:bind',
  'cards:write',
  'cards:manage',
  'purchases:write',
  'coupons:read',
  'coupons:manage',
  'giftcards:read',
  'giftcards:write',
  'giftcards:manage',
  'catalogue:read',
  'catalogue:write',
  'promotions:manage',
  'segments:read',
  'segments:manage',
  'messages:read',
  'messages:manage',
  'consents:write',
  'program:manage',
  'keys:manage',
] as const;
export type ApiScope = (typeof apiScopes)[number];

export const staffRoles = ['admin', 'marketer', 'agent', 'analyst'] as const;
export type StaffRole = (typeof staffRoles)[number];

/**
 * The scopes a staff user's key holds, by role (read when the key is used, so a role change applies at
 * once): the administrator everything; the marketer the catalogue, promotions, coupons and gift-card
 * types; the contact-centre agent customers, cards and manual adjustments; the analyst reading only.
 */
export const roleScopes: Record<StaffRole, readonly ApiScope[]> = {
  admin: apiScopes,
  marketer: [
    'customers:read',
    'catalogue:read',
    'catalogue:write',
    'promotions:manage',
    'segments:read',
    'segments:manage',
    'messages:read',
    'messages:manage',
    'coupons:read',
    'coupons:manage',
    'giftcards:read',
    'giftcards:manage',
  ],
  agent: [
    'customers:read',
    'customers:write',
    'customers:merge',
    'operations:adjust',
    'cards:bind',
    'cards:write',
    'coupons:read',
    'giftcards:read',
    'segments:read',
    'messages:read',
    'consents:write',
  ],
  analyst: [
    'customers:read',
    'catalogue:read',
    'coupons:read',
    'giftcards:read',
    'segments:read',
    'messages:read',
  ],
};

/** Requests a key may make: `burst` at once, refilled at `perMinute` (the default is 50 a second). */
export const rateLimitSchema = z
  .object({
    perMinute: z.number().int().min(1).max(600_000).describe('sustained requests per minute'),
    burst: z.number().int().min(1).max(100_000).describe('requests allowed at once'),
  })
  .strict();
export type RateLimit = z.infer<typeof rateLimitSchema>;
export const defaultRateLimit: RateLimit = { perMinute: 3000, burst: 100 };

/** A SHA-256 certificate fingerprint as hex, with or without colons (`AB:CD:…`); kept as lower-case hex. */
export const certificateFingerprintSchema = z
  .string()
  .regex(/^([0-9A-Fa-f]{2}:?){31}[0-9A-Fa-f]{2}$/, 'SHA-256 fingerprint: 64 hex digits, colons allowed')
  .transform((value) => value.replaceAll(':', '').toLowerCase());

const id = z.number().int().positive();
const label = z.string().trim().min(1).max(200);

export const createApiKeySchema = z
  .object({
    label,
    partnerId: id.optional().describe('a key of a partner (of all its stores)'),
    storeId: id.optional().describe("a key of one store (a till); its partner is the store's"),
    staffUserId: id.optional().describe("a staff user's key: holds the scopes of the user's role"),
    scopes: z.array(z.enum(apiScopes)).min(1).optional().describe('for a partner or store key'),
    rateLimit: rateLimitSchema.optional(),
    clientCertificateSha256: certificateFingerprintSchema
      .optional()
      .describe('calls must come over mutual TLS with this client certificate'),
  })
  .strict()
  .superRefine((key, ctx) => {
    if (key.staffUserId !== undefined) {
      for (const field of ['scopes', 'partnerId', 'storeId'] as const) {
        if (key[field] !== undefined)
          ctx.addIssue({ code: 'custom', path: [field], message: "a staff user's key takes no " + field });
      }
    } else if (key.scopes === undefined) {
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'give the scopes of the key' });
    }
  });
export type CreateApiKey = z.infer<typeof createApiKeySchema>;

export const apiKeyIdSchema = z.object({ apiKeyId: id }).strict();

export const updateApiKeySchema = z
  .object({
    apiKeyId: id,
    label: label.optional(),
    rateLimit: rateLimitSchema.optional(),
    clientCertificateSha256: certificateFingerprintSchema
      .nullable()
      .optional()
      .describe('null lifts the requirement'),
  })
  .strict()
  .refine(
    (u) => u.label !== undefined || u.rateLimit !== undefined || u.clientCertificateSha256 !== undefined,
    { message: 'give label, rateLimit or clientCertificateSha256', path: ['label'] },
  );
export type UpdateApiKey = z.infer<typeof updateApiKeySchema>;

/** A key as listed: never its secret, only the prefix that shows in its token (`lf_<prefix>_…`). */
export const apiKeySchema = z.object({
  id,
  label: z.string(),
  prefix: z.string(),
  partnerId: id.nullable(),
  storeId: id.nullable(),
  staffUserId: id.nullable(),
  role: z.enum(staffRoles).nullable(),
  scopes: z.array(z.string()),
  rateLimit: rateLimitSchema,
  clientCertificateSha256: z.string().nullable(),
  replacesId: id.nullable().describe('the key this one rotated'),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
});
export type ApiKey = z.infer<typeof apiKeySchema>;

export const issuedApiKeySchema = z.object({
  key: apiKeySchema,
  token: z
    .string()
    .optional()
    .describe('the token, in the first answer only: a replay of the call answers without it'),
});
export type IssuedApiKey = z.infer<typeof issuedApiKeySchema>;

export const listApiKeysQuerySchema = z
  .object({
    partnerId: z.coerce.number().int().positive().optional(),
    storeId: z.coerce.number().int().positive().optional(),
    staffUserId: z.coerce.number().int().positive().optional(),
    revoked: z.enum(['true', 'false']).optional().describe('only revoked (true) or only live (false) keys'),
  })
  .strict();
export type ListApiKeysQuery = z.infer<typeof listApiKeysQuerySchema>;
