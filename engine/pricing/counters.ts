import { z } from 'zod';
import { canonicalJson } from '../canonical-json';
import { lineFilterSchema } from './line-filter';

/**
 * Purchase-history counters the rules read. The engine stays pure: a compiled rule set lists the
 * counters its conditions need (`requiredCounters`), the caller computes each one as of the check's
 * business time from the customer's confirmed purchases (this check excluded) and passes them in the
 * customer context under `counterKey(spec)`. A counter not supplied counts as zero (never bought).
 */

/** Rolling: the `lastDays` days before the check; calendar: the check's local day, week … year. Omitted: all time. */
export const periodSchema = z.union([
  z.object({ lastDays: z.int().min(1).max(3660) }).strict(),
  z.object({ calendar: z.enum(['day', 'week', 'month', 'quarter', 'year']) }).strict(),
]);
export type Period = z.infer<typeof periodSchema>;

const ids = z.array(z.string().min(1).max(100)).min(1).max(1000);

/** Which purchases count: a period, and optionally only those made in some stores or store groups. */
export const purchaseScopeShape = {
  period: periodSchema.optional(),
  storeIds: ids.optional(),
  storeGroupIds: ids.optional(),
};

export const counterSpecSchema = z.discriminatedUnion('kind', [
  /** Number of confirmed purchases. */
  z.object({ kind: z.literal('purchaseCount'), ...purchaseScopeShape }).strict(),
  /** Sum of the purchases' amounts after discounts, minor units. */
  z.object({ kind: z.literal('purchaseAmount'), ...purchaseScopeShape }).strict(),
  /** Quantity bought of the goods matching `filter` (pieces; grams for weighted goods). */
  z.object({ kind: z.literal('goodsQuantity'), filter: lineFilterSchema, ...purchaseScopeShape }).strict(),
  /**
   * When the running sum of purchase amounts first reached `amount`, in whole seconds since the epoch
   * (absent: not reached yet).
   */
  z.object({ kind: z.literal('amountReachedAt'), amount: z.int().min(1), ...purchaseScopeShape }).strict(),
]);
export type CounterSpec = z.infer<typeof counterSpecSchema>;

/** The key a counter is supplied under: canonical JSON of its spec. */
export const counterKey = (spec: CounterSpec): string => canonicalJson(spec);
