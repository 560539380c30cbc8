import { z } from 'zod';
import { identifierSchema } from './identifier';

export const startVerificationSchema = z
  .object({ customer: identifierSchema, channel: z.enum(['phone', 'email']) })
  .strict();

export const confirmVerificationSchema = z
  .object({
    customer: identifierSchema,
    channel: z.enum(['phone', 'email']),
    code: z.string().regex(/^\d{4,8}$/, '4 to 8 digits'),
  })
  .strict();

export const verificationStartedSchema = z.object({
  channel: z.enum(['phone', 'email']),
  /** Where the code went, masked. */
  sentTo: z.string(),
  expiresAt: z.string(),
});

export const verificationResultSchema = z.object({
  verified: z.boolean(),
  result: z.enum(['ok', 'wrong', 'expired', 'locked', 'consumed', 'no_code']),
  attemptsLeft: z.number().int(),
});
