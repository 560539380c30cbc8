import { z } from 'zod';
import { businessTimeSchema, instantSchema } from '../contracts/customer-event';
import { identifierSchema } from '../contracts/identifier';
import { couponRefusals } from './coupon-state';

/** The coupon API's bodies and answers (api/routes/coupons.ts, api/routes/till-config.ts). */

const issueCode = z.string().min(1).max(64);
const couponCode = z.string().trim().min(1).max(100);
const instant = z.string().describe('ISO 8601 with offset');

export const generateCouponsSchema = z
  .object({ issueCode, count: z.number().int().min(1).max(10_000_000) })
  .strict();
export const generateCouponsResultSchema = z.object({ inserted: z.number(), startIndex: z.number() });

export const importCouponsSchema = z
  .object({ issueCode, codes: z.array(z.string().max(100)).min(1).max(1_000_000) })
  .strict();
export const importCouponsResultSchema = z.object({ inserted: z.number() });

/** A code pattern as stored (engine/coupons/code-pattern.ts codePatternSchema's output). */
const patternSchema = z.object({
  prefix: z.string(),
  length: z.number(),
  alphabet: z.string(),
  checkLength: z.number(),
  group: z.number().nullish(),
});

export const couponIssueResultSchema = z.object({
  id: z.number(),
  code: z.string(),
  pattern: patternSchema,
  maxIssuable: z.number(),
});

export const issueCouponSchema = z
  .object({
    customer: identifierSchema,
    issueCode,
    /** A free coupon of the issue to give; a fresh code is generated when absent. */
    code: couponCode.optional(),
    occurredAt: businessTimeSchema,
  })
  .strict();

export const issuedCouponSchema = z.object({
  code: z.string(),
  display: z.string(),
  issueId: z.string(),
  activatesAt: instant,
  expiresAt: instant.nullable(),
});

export const customerCouponsQuerySchema = z
  .object({ customer: identifierSchema, at: instantSchema.optional() })
  .strict();

const issueTextsSchema = z.object({
  code: z.string(),
  name: z.string(),
  kind: z.enum(['single_use', 'promo_code']),
  imageUrl: z.string().nullable(),
  shortDescription: z.string().nullable(),
  longDescription: z.string().nullable(),
});

const verdictShape = {
  usable: z.boolean(),
  reason: z.enum(couponRefusals).optional().describe('why the coupon is not usable now'),
};

export const customerCouponSchema = z.object({
  code: z.string(),
  display: z.string(),
  status: z.string(),
  issuedAt: instant,
  activatesAt: instant.nullable(),
  expiresAt: instant.nullable(),
  issue: issueTextsSchema,
  ...verdictShape,
});
export type CustomerCoupon = z.infer<typeof customerCouponSchema>;

export const couponLookupSchema = customerCouponSchema.extend({
  uses: z.number(),
  imported: z.boolean(),
  customerId: z.number().nullable(),
  reservedUntil: instant.nullable(),
  issue: issueTextsSchema.extend({
    maxUsesTotal: z.number().nullable(),
    maxUsesPerCustomer: z.number().nullable(),
  }),
});
export type CouponLookup = z.infer<typeof couponLookupSchema>;

export const couponLookupParamsSchema = z.object({ code: couponCode }).strict();
export const couponLookupQuerySchema = z.object({ at: instantSchema.optional() }).strict();

/** `<xid>.<id>` of the last change a till has seen; absent for everything. */
export const tillCursorSchema = z.string().regex(/^\d{1,19}\.\d{1,19}$/, 'a cursor from an earlier answer');

export const tillConfigQuerySchema = z
  .object({
    since: tillCursorSchema.optional(),
    limit: z.coerce.number().int().min(1).max(10_000).default(1_000),
  })
  .strict();

export const tillIssueSchema = z.object({
  code: z.string(),
  name: z.string(),
  kind: z.enum(['single_use', 'promo_code']),
  /** What `verifyOfflineCheck` (engine/coupons/code-pattern.ts) needs with the till key. */
  pattern: patternSchema,
  offlineCheck: z.boolean().describe('false: codes of this issue are only known from the change list'),
  maxUsesTotal: z.number().nullable(),
  maxUsesPerCustomer: z.number().nullable(),
  activationDelaySeconds: z.number(),
  lifetimeSeconds: z.number().nullable(),
});

export const tillCouponChangeSchema = z.object({
  code: z.string(),
  issueCode: z.string(),
  valid: z.boolean().describe('false: redeemed, cancelled, expired or used up'),
  status: z.string(),
  imported: z.boolean(),
  activatesAt: instant.nullable(),
  expiresAt: instant.nullable(),
});

export const tillConfigSchema = z.object({
  programId: z.number(),
  tillKey: z.string().describe('base64 of the program till key (HMAC key of the offline check)'),
  issues: z.array(tillIssueSchema),
  changes: z.object({
    items: z.array(tillCouponChangeSchema),
    /** Pass as `since` next time (also when `more` is false). */
    next: z.string().nullable(),
    more: z.boolean(),
  }),
});
export type TillConfig = z.infer<typeof tillConfigSchema>;
