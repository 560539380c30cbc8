import type { Kysely } from 'kysely';
import type { BalanceView } from '../../engine/ledger/lots';
import { pointsBalance } from '../ledger/points';
import { readAccount } from '../ledger/store';
import type { Database } from '../schema';
import { findCustomerAccount } from './accounts';

const noPoints: BalanceView = { balance: 0, available: 0, pending: 0, expired: 0, debt: 0 };

/**
 * A customer's points at a business time and stored-value cash, on the accounts their operations use
 * (the pool's for a member of a master account). A read: an account not opened yet reads as zero and
 * is not created.
 */
export async function customerBalances(
  db: Kysely<Database>,
  customerId: number,
  currencies: { points: string; cash: string },
  at: Date,
): Promise<{ points: BalanceView; cash: number }> {
  const [points, cash] = await Promise.all([
    findCustomerAccount(db, customerId, 'points', currencies.points),
    findCustomerAccount(db, customerId, 'cash', currencies.cash),
  ]);
  return {
    points: points === null ? noPoints : await pointsBalance(db, points, at),
    cash: cash === null ? 0 : (await readAccount(db, cash)).balance,
  };
}
