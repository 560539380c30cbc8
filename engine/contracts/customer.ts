import { z } from 'zod';
import { consentChangeSchema } from '../messaging/consent-contracts';
import { businessTimeSchema } from './customer-event';
import { identifierSchema } from './identifier';

const isoDate = z.iso.date();

export const customerProfileSchema = z
  .object({
    firstName: z.string().trim().min(1).max(100).optional(),
    lastName: z.string().trim().min(1).max(100).optional(),
    middleName: z.string().trim().min(1).max(100).optional(),
    gender: z.enum(['male', 'female']).optional(),
    birthDate: isoDate.optional(),
    maritalStatus: z.enum(['single', 'married', 'divorced', 'widowed']).optional(),
    address: z
      .object({
        country: z.string().length(2).optional(),
        region: z.string().max(200).optional(),
        city: z.string().max(200).optional(),
        street: z.string().max(300).optional(),
        postalCode: z.string().max(20).optional(),
      })
      .strict()
      .optional(),
    locale: z
      .string()
      .regex(/^[a-z]{2}(-[A-Z]{2})?$/, 'a language tag such as ru or ru-RU')
      .optional(),
    timeZone: z.string().min(1).max(64).optional(),
    socialIds: z.record(z.string().regex(/^[a-z0-9_]{2,32}$/), z.string().min(1).max(200)).optional(),
  })
  .strict();

export type CustomerProfile = z.infer<typeof customerProfileSchema>;

export const registrationChannelSchema = z.enum(['till', 'cabinet', 'operator', 'paper', 'import']);

export const registerCustomerSchema = z
  .object({
    channel: registrationChannelSchema,
    registeredAt: businessTimeSchema,
    phone: z.string().min(3).max(40).optional(),
    email: z.string().min(3).max(254).optional(),
    externalId: z.string().min(1).max(200).optional(),
    card: z.string().min(4).max(40).optional().describe('a card number from a pool to bind and activate'),
    profile: customerProfileSchema.default({}),
    questionnaire: z.record(z.string(), z.unknown()).optional(),
    referralCode: z.string().min(4).max(16).optional(),
    consents: z
      .array(consentChangeSchema)
      .max(20)
      .optional()
      .describe(
        'what the customer agreed to on the form (marketing by channel and topic), recorded as given at registration',
      ),
  })
  .strict()
  .refine((r) => r.phone ?? r.email ?? r.externalId ?? r.card, {
    message: 'give at least one of phone, email, externalId or card',
    path: ['phone'],
  });

export type RegisterCustomer = z.infer<typeof registerCustomerSchema>;

export const updateProfileSchema = z
  .object({
    customer: identifierSchema,
    profile: z.record(z.string(), z.unknown()).optional().describe('keys of the profile; null removes one'),
    questionnaire: z.record(z.string(), z.unknown()).optional(),
    occurredAt: businessTimeSchema,
  })
  .strict();
