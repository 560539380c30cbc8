import { z } from 'zod';
import {
  questionnaireDefinitionSchema,
  type QuestionnaireDefinition,
  defaultQuestionnaire,
} from '../customers/questionnaire';
import { lotPolicySchema } from '../ledger/lot-policy';
import { phoneFormatsSchema } from '../customers/phone';
import { clawbackPolicySchema } from '../pricing/returns';
import { businessTimeWindowSchema } from '../time/business-time-window';
import { messagingPolicySchema } from '../messaging/contracts';

/** How purchases at the till treat points. */
export const purchasePolicySchema = z
  .object({
    /** `discount`: points become a discount on the fiscal receipt; `tender`: a payment line. */
    redemptionMode: z.enum(['discount', 'tender']).default('discount'),
    /** Earn points also on the part paid with points. */
    earnOnRedeemed: z.boolean().default(false),
    /** Spending at least this many points needs a one-time code sent to the customer; null: never. */
    redemptionCodeThreshold: z.int().min(1).nullable().default(null),
    /** A return gives back the points the returned items were paid with. */
    restoreSpentPoints: z.boolean().default(true),
    /** Returning the last item of a purchase gives back the coupons it used (a cancel always does). */
    restoreCoupons: z.boolean().default(true),
    /** Points earned on returned items that exceed the balance: debt, kept from the refund, or forgiven. */
    clawbackPolicy: clawbackPolicySchema.default('debt'),
    /** How long `calculate` holds presented coupons for the till. */
    couponReservationSeconds: z.int().min(10).max(3600).default(300),
  })
  .strict();
export type PurchasePolicy = z.infer<typeof purchasePolicySchema>;

/** How customer events (POST /v1/events) treat a customer identifier that names nobody. */
export const eventPolicySchema = z
  .object({
    /**
     * `refuse`: a 404 naming `customer`; `anonymous`: stored as the anonymous visitor `<kind>:<value>`
     * (e.g. `external:42`), attached to the customer when that visitor identifies (POST /v1/events/identify).
     */
    unknownCustomers: z.enum(['refuse', 'anonymous']).default('refuse'),
  })
  .strict();
export type EventPolicy = z.infer<typeof eventPolicySchema>;

/** What a program decides for itself; stored in programs.settings and validated on every write. */
export const programSettingsSchema = z
  .object({
    /** Lot dates when neither the earning rule nor the card type sets them. */
    pointsLifetime: lotPolicySchema.default({ activationDelaySeconds: 0, lifetimeSeconds: null }),
    /** What happens when a clawback exceeds the points left: debt (negative balance) or write-off. */
    debtPolicy: z.enum(['debt', 'write-off']).default('debt'),
    /** Cash ↔ points: `points` points for `cash` minor units of the program currency. */
    conversionRate: z
      .object({ points: z.number().int().positive(), cash: z.number().int().positive() })
      .default({ points: 1, cash: 100 }),
    /** Which notifiers must be unique among the program's customers. */
    uniqueness: z.object({ phone: z.boolean(), email: z.boolean() }).default({ phone: true, email: false }),
    /** A phone that left the program cannot join again within this many days (0: no limit). */
    joinLimitDays: z.number().int().min(0).default(0),
    defaultCountry: z.string().length(2).default('RU'),
    /** Language of receipts and messages for customers who have not chosen one. */
    defaultLanguage: z
      .string()
      .regex(/^[a-z]{2}$/, 'a two-letter language code such as ru')
      .default('ru'),
    /** Phone formats by country (calling code, national length, trunk prefix); Russia and neighbours by default. */
    phoneFormats: phoneFormatsSchema.optional(),
    /** The program's questionnaire; the default one (interests, children, pets, cars) when unset. */
    questionnaire: questionnaireDefinitionSchema.optional(),
    /** How long a deferred-activation link stays valid. */
    activationLinkDays: z.number().int().min(1).max(90).default(7),
    purchases: purchasePolicySchema.prefault({}),
    /** How far from the recording time a command's business time (`occurredAt`) may lie. */
    businessTimes: businessTimeWindowSchema.prefault({}),
    /** Customer events: what an identifier that names nobody becomes. */
    events: eventPolicySchema.prefault({}),
    /** Messages: legal basis of marketing, quiet hours, caps, fallback order. */
    messaging: messagingPolicySchema.prefault({}),
  })
  .strict();

export type ProgramSettings = z.infer<typeof programSettingsSchema>;

export function programSettings(raw: unknown): ProgramSettings {
  return programSettingsSchema.parse(raw ?? {});
}

export function questionnaireOf(settings: ProgramSettings): QuestionnaireDefinition {
  return settings.questionnaire ?? defaultQuestionnaire;
}
