import { randomBytes } from 'node:crypto';
import { createCouponIssue, generateCoupons } from '../db/coupons/coupon-issues';
import type { DB } from '../db/database';

const codes = 1_000_000;

/**
 * 1 M coupon codes (prefix, 8 random characters of the unambiguous alphabet, 2 offline-check
 * characters) generated and written to `coupons` (unique index on program and code) of a fresh,
 * migrated database. `ms` is the whole `generateCoupons` call: index reservation, code generation,
 * sorting, check HMACs and the inserts. Adds a program of its own; prints nothing.
 */
export async function benchCoupons(db: DB): Promise<{ codes: number; ms: number }> {
  const suffix = randomBytes(4).toString('hex');
  const program = await db
    .insertInto('programs')
    .values({
      code: `bench-coupons-${suffix}`,
      name: 'Bench coupons',
      currency: 'RUB',
      time_zone: 'Europe/Moscow',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const issue = await createCouponIssue(db, {
    programId: program.id,
    code: 'bench',
    name: 'Bench',
    kind: 'single_use',
    pattern: { prefix: 'BN', length: 8, group: 4 },
  });
  const { inserted, ms } = await generateCoupons(db, {
    programId: program.id,
    issueId: issue.id,
    count: codes,
  });
  if (inserted !== codes) throw new Error(`inserted ${inserted} coupons, not ${codes}`);
  return { codes, ms };
}
