import { DomainError } from '../errors';
import { assertPositiveAmount } from './lots';

export interface ConversionRate {
  /** `points` points are worth `cash` minor units. */
  points: number;
  cash: number;
}

/**
 * Cash ↔ points at the program's rate, only for amounts that convert exactly: no fraction of a point or
 * a kopeck is created or lost. The error names the nearest amounts that do convert.
 */
export function convertAmount(
  direction: 'cash-to-points' | 'points-to-cash',
  amount: number,
  rate: ConversionRate,
): { cash: number; points: number } {
  assertPositiveAmount(amount);
  const [from, to] = direction === 'cash-to-points' ? [rate.cash, rate.points] : [rate.points, rate.cash];
  if (amount % from !== 0) {
    const lower = amount - (amount % from);
    throw new DomainError(
      'inexact_conversion',
      `amount must be a multiple of ${from} (${lower > 0 ? `${lower} or ` : ''}${lower + from})`,
      422,
      'amount',
    );
  }
  const converted = (amount / from) * to;
  return direction === 'cash-to-points'
    ? { cash: amount, points: converted }
    : { cash: converted, points: amount };
}
