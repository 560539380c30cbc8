import { z } from 'zod';
import { cardNumberTemplateSchema } from '../cards/number-template';
import { codeSchema } from '../contracts/management';
import { DomainError } from '../errors';

/** Minor units a gift card may carry: positive, at most 10^12. */
export const giftCardAmountSchema = z.number().int().positive().max(1_000_000_000_000);

/**
 * A gift card type as a program defines it: plastic cards are printed in batches and activated at the
 * till; e-certificates get their number and PIN when sold. The amount is one of the fixed nominals or
 * any amount within min … max; a card is valid for `validityDays` from its activation.
 */
export const giftCardTypeInputSchema = z
  .object({
    code: codeSchema,
    name: z.string().trim().min(1).max(200),
    kind: z.enum(['plastic', 'electronic']),
    nominals: z.array(giftCardAmountSchema).min(1).max(50).optional(),
    minAmount: giftCardAmountSchema.optional(),
    maxAmount: giftCardAmountSchema.optional(),
    validityDays: z.number().int().min(1).max(3650),
    numbers: cardNumberTemplateSchema.describe('number template: digits prefix, length, Luhn check digit'),
  })
  .strict()
  .superRefine((t, ctx) => {
    const open = t.minAmount !== undefined || t.maxAmount !== undefined;
    if (t.nominals && open) {
      ctx.addIssue({ code: 'custom', path: ['nominals'], message: 'give nominals or minAmount/maxAmount' });
    } else if (!t.nominals && (t.minAmount === undefined || t.maxAmount === undefined)) {
      const path = t.minAmount === undefined ? 'minAmount' : 'maxAmount';
      ctx.addIssue({
        code: 'custom',
        path: [path],
        message: 'give nominals, or both minAmount and maxAmount',
      });
    } else if (t.minAmount !== undefined && t.maxAmount !== undefined && t.minAmount > t.maxAmount) {
      ctx.addIssue({ code: 'custom', path: ['maxAmount'], message: 'must not be below minAmount' });
    } else if (t.nominals && new Set(t.nominals).size !== t.nominals.length) {
      ctx.addIssue({ code: 'custom', path: ['nominals'], message: 'nominals must differ' });
    }
  });

export type GiftCardTypeInput = z.infer<typeof giftCardTypeInputSchema>;

/** What decides an activation's amount and dates. */
export interface GiftCardTerms {
  nominals: readonly number[] | null;
  minAmount: number | null;
  maxAmount: number | null;
  validityDays: number;
}

/** Refuses an amount the type does not sell, naming `field`. */
export function checkActivationAmount(terms: GiftCardTerms, amount: number, field = 'amount'): void {
  if (terms.nominals) {
    if (!terms.nominals.includes(amount)) {
      throw new DomainError(
        'gift_card_nominal_invalid',
        `this gift card is sold for ${terms.nominals.join(', ')} only`,
        422,
        field,
      );
    }
    return;
  }
  const min = terms.minAmount ?? 1;
  const max = terms.maxAmount ?? Number.MAX_SAFE_INTEGER;
  if (amount < min || amount > max) {
    throw new DomainError(
      'gift_card_amount_out_of_range',
      `this gift card is sold for ${min} … ${max}`,
      422,
      field,
    );
  }
}

const day = 86_400_000;

/** When a card activated at `activatedAt` expires: `validityDays` × 24 h later. */
export function giftCardExpiry(terms: Pick<GiftCardTerms, 'validityDays'>, activatedAt: Date): Date {
  return new Date(activatedAt.getTime() + terms.validityDays * day);
}
