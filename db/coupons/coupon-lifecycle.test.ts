import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyOfflineCheck } from '../../engine/coupons/code-pattern';
import { createTestDatabase, type TestDatabase } from '../../test/support/database';
import { insertCustomer } from '../../test/support/customers';
import { seedTestProgram } from '../../test/support/program';
import type { Database } from '../schema';
import { createCouponIssue, generateCoupons, importCoupons, programTillKey } from './coupon-issues';
import { issueCouponsForPurchase, issueCouponToCustomer } from './coupon-issuance';
import {
  redeemCoupons,
  releaseCoupons,
  reserveCoupons,
  restoreCoupons,
  type CouponOutcome,
} from './coupon-lifecycle';

let t: TestDatabase;
let programId: number;
let alice: number;
let bob: number;
const t0 = new Date('2026-05-10T12:00:00+03:00');
const later = (seconds: number) => new Date(t0.getTime() + seconds * 1000);

beforeAll(async () => {
  t = await createTestDatabase();
  ({ programId } = await seedTestProgram(t.db));
  alice = await insertCustomer(t.db, programId, 'alice');
  bob = await insertCustomer(t.db, programId, 'bob');
});
afterAll(() => t.drop());

/** Pool codes of a new single-use issue. */
async function poolCodes(code: string, count: number, options: { activationDelaySeconds?: number } = {}) {
  const issue = await createCouponIssue(t.db, {
    programId,
    code,
    name: code,
    kind: 'single_use',
    pattern: { prefix: code.slice(0, 2).toUpperCase(), length: 6 },
    ...options,
  });
  await generateCoupons(t.db, { programId, issueId: issue.id, count, at: t0 });
  const rows = await t.db
    .selectFrom('coupons')
    .select('code')
    .where('issue_id', '=', issue.id)
    .orderBy('code')
    .execute();
  return rows.map((r) => r.code);
}

const tx = <T>(run: (trx: Kysely<Database>) => Promise<T>) => t.db.transaction().execute(run);

/** Resolves once `n` callers wait on it: makes transactions overlap for certain. */
function barrier(n: number): () => Promise<void> {
  let waiting = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return () => {
    waiting += 1;
    if (waiting === n) open();
    return opened;
  };
}

const okCount = (outcomes: CouponOutcome[][]) => outcomes.filter((o) => o[0]!.ok).length;

describe('reserve, redeem, release, restore of single-use coupons', () => {
  it('reserves once per holder, refuses others, redeems, and is idempotent', async () => {
    const [code] = await poolCodes('shop', 1);
    const reserve = (holder: string, at = t0, customerId: number | null = alice) =>
      tx((trx) =>
        reserveCoupons(trx, { programId, codes: [code!], customerId, holder, at, ttlSeconds: 300 }),
      );
    expect(await reserve('purchase:1')).toEqual([{ code, issueId: 'shop', ok: true }]);
    expect(await reserve('purchase:1', later(10))).toEqual([{ code, issueId: 'shop', ok: true }]);
    expect(await reserve('purchase:2')).toEqual([
      { code, issueId: 'shop', ok: false, reason: 'coupon_reserved' },
    ]);

    const typed = code!.toLowerCase().replace(/(..)/, '$1-');
    const redeemed = await tx((trx) =>
      redeemCoupons(trx, {
        programId,
        holder: 'purchase:1',
        codes: [typed, 'NOPE42'],
        customerId: alice,
        at: later(20),
      }),
    );
    expect(redeemed).toEqual([
      { code, issueId: 'shop', ok: true },
      { code: 'NOPE42', issueId: null, ok: false, reason: 'coupon_unknown' },
    ]);
    const again = await tx((trx) =>
      redeemCoupons(trx, {
        programId,
        holder: 'purchase:1',
        codes: [code!],
        customerId: alice,
        at: later(21),
      }),
    );
    expect(again[0]!.ok).toBe(true);
    const row = await t.db
      .selectFrom('coupons')
      .selectAll()
      .where('code', '=', code!)
      .executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: 'redeemed', uses: 1, reserved_by: 'purchase:1' });
    expect(row.changed_xid).not.toBeNull();
    expect((await reserve('purchase:3', later(30)))[0]).toMatchObject({
      ok: false,
      reason: 'coupon_redeemed',
    });

    const restored = await tx((trx) =>
      restoreCoupons(trx, { programId, holder: 'purchase:1', codes: [code!], at: later(40) }),
    );
    expect(restored).toEqual([{ code, issueId: 'shop', was: 'redeemed' }]);
    expect(
      await tx((trx) =>
        restoreCoupons(trx, { programId, holder: 'purchase:1', codes: [code!], at: later(41) }),
      ),
    ).toEqual([]);
    expect((await reserve('purchase:3', later(50)))[0]!.ok).toBe(true);
  });

  it('releases everything a cancelled purchase held, once', async () => {
    const [a, b] = await poolCodes('cancel', 2);
    await tx((trx) =>
      reserveCoupons(trx, {
        programId,
        codes: [a!, b!],
        customerId: null,
        holder: 'p:9',
        at: t0,
        ttlSeconds: 60,
      }),
    );
    await tx((trx) =>
      redeemCoupons(trx, { programId, holder: 'p:9', codes: [a!], customerId: null, at: later(5) }),
    );
    const released = await tx((trx) => releaseCoupons(trx, { programId, holder: 'p:9', at: later(10) }));
    expect(released.map((r) => [r.code, r.was]).sort()).toEqual(
      [
        [a, 'redeemed'],
        [b, 'reserved'],
      ].sort(),
    );
    expect(await tx((trx) => releaseCoupons(trx, { programId, holder: 'p:9', at: later(11) }))).toEqual([]);
    const rows = await t.db
      .selectFrom('coupons')
      .select(['status', 'uses', 'reserved_by'])
      .where('code', 'in', [a!, b!])
      .execute();
    expect(rows).toEqual([
      { status: 'issued', uses: 0, reserved_by: null },
      { status: 'issued', uses: 0, reserved_by: null },
    ]);
  });

  it('lets a reservation lapse after its TTL in business time', async () => {
    const [code] = await poolCodes('lapse', 1);
    const reserve = (holder: string, at: Date) =>
      tx((trx) =>
        reserveCoupons(trx, { programId, codes: [code!], customerId: null, holder, at, ttlSeconds: 60 }),
      );
    expect((await reserve('till-a', t0))[0]!.ok).toBe(true);
    expect((await reserve('till-b', later(59)))[0]).toMatchObject({ ok: false, reason: 'coupon_reserved' });
    expect((await reserve('till-b', later(60)))[0]!.ok).toBe(true);
    const late = await tx((trx) =>
      redeemCoupons(trx, { programId, holder: 'till-a', codes: [code!], customerId: null, at: later(61) }),
    );
    expect(late[0]).toMatchObject({ ok: false, reason: 'coupon_reserved' });
    // till-a's release must not free till-b's reservation
    await tx((trx) => releaseCoupons(trx, { programId, holder: 'till-a', at: later(62) }));
    expect((await reserve('till-c', later(63)))[0]).toMatchObject({ ok: false, reason: 'coupon_reserved' });
  });

  it('refuses coupons before activation and of another customer', async () => {
    const [code] = await poolCodes('later', 1, { activationDelaySeconds: 3600 });
    const reserve = (at: Date) =>
      tx((trx) =>
        reserveCoupons(trx, {
          programId,
          codes: [code!],
          customerId: alice,
          holder: 'x',
          at,
          ttlSeconds: 60,
        }),
      );
    expect((await reserve(later(3599)))[0]).toMatchObject({ reason: 'coupon_not_active_yet' });
    const given = await tx((trx) =>
      issueCouponToCustomer(trx, { programId, customerId: bob, issueCode: 'shop', at: t0 }),
    );
    const other = await tx((trx) =>
      reserveCoupons(trx, {
        programId,
        codes: [given.code],
        customerId: alice,
        holder: 'y',
        at: t0,
        ttlSeconds: 60,
      }),
    );
    expect(other[0]).toMatchObject({ ok: false, reason: 'coupon_customer_mismatch' });
  });
});

describe('concurrency', () => {
  it('lets exactly one of several tills reserve a single-use coupon at once', async () => {
    const codes = await poolCodes('race', 5);
    for (const code of codes) {
      const ready = barrier(3);
      const outcomes = await Promise.all(
        ['till-1', 'till-2', 'till-3'].map((holder) =>
          t.db.transaction().execute(async (trx) => {
            await trx.selectFrom('programs').select('id').execute(); // the transaction holds a connection
            await ready();
            return reserveCoupons(trx, {
              programId,
              codes: [code],
              customerId: null,
              holder,
              at: t0,
              ttlSeconds: 60,
            });
          }),
        ),
      );
      expect(okCount(outcomes)).toBe(1);
      expect(
        outcomes
          .flat()
          .filter((o) => !o.ok)
          .map((o) => !o.ok && o.reason),
      ).toEqual(['coupon_reserved', 'coupon_reserved']);
    }
  });

  it('holds per-customer and global limits of a promo code under concurrent purchases', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'spring',
      name: 'Spring promo',
      kind: 'promo_code',
      pattern: { length: 6 },
      maxUsesPerCustomer: 1,
      maxUsesTotal: 3,
    });
    const imported = await importCoupons(t.db, {
      programId,
      issueId: issue.id,
      codes: ['spring-26'],
      at: t0,
    });
    expect(imported).toEqual({ ok: true, inserted: 1 });
    const customers = [alice, bob];
    for (let i = 0; i < 4; i++) customers.push(await insertCustomer(t.db, programId, `promo-${i}`));

    const redeemAll = (buyers: number[], tag: string) => {
      const ready = barrier(buyers.length);
      return Promise.all(
        buyers.map((customerId, n) =>
          t.db.transaction().execute(async (trx) => {
            await trx.selectFrom('programs').select('id').execute();
            await ready();
            return redeemCoupons(trx, {
              programId,
              holder: `${tag}:${n}`,
              codes: ['SPRING26'],
              customerId,
              at: t0,
            });
          }),
        ),
      );
    };
    const sameCustomer = await redeemAll([alice, alice, alice, alice], 'same');
    expect(okCount(sameCustomer)).toBe(1);
    expect(
      sameCustomer
        .flat()
        .filter((o) => !o.ok)
        .map((o) => !o.ok && o.reason),
    ).toEqual(['coupon_limit_reached', 'coupon_limit_reached', 'coupon_limit_reached']);
    const everyone = await redeemAll(customers.slice(1), 'all');
    expect(okCount(everyone)).toBe(2); // 3 in all, alice used one
    const uses = await t.db
      .selectFrom('coupon_uses')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('issue_id', '=', issue.id)
      .where('status', '=', 'redeemed')
      .executeTakeFirstOrThrow();
    expect(Number(uses.n)).toBe(3);
    const anonymous = await tx((trx) =>
      reserveCoupons(trx, {
        programId,
        codes: ['SPRING26'],
        customerId: null,
        holder: 'anon',
        at: t0,
        ttlSeconds: 60,
      }),
    );
    expect(anonymous[0]).toMatchObject({ ok: false, reason: 'coupon_customer_required' });

    // a restored use frees its place under both limits
    const winner = everyone.findIndex((o) => o[0]!.ok);
    const restored = await tx((trx) =>
      restoreCoupons(trx, { programId, holder: `all:${winner}`, codes: ['SPRING26'], at: later(60) }),
    );
    expect(restored).toHaveLength(1);
    const counts = await t.db
      .selectFrom('coupon_use_counts')
      .select(['customer_id', 'redeemed'])
      .where('issue_id', '=', issue.id)
      .where('customer_id', '=', 0)
      .executeTakeFirstOrThrow();
    expect(counts.redeemed).toBe(2);
    const loser = everyone.findIndex((o) => !o[0]!.ok);
    const retried = await tx((trx) =>
      redeemCoupons(trx, {
        programId,
        holder: 'retry',
        codes: ['SPRING26'],
        customerId: customers.slice(1)[loser]!,
        at: later(70),
      }),
    );
    expect(retried[0]!.ok).toBe(true);
  });

  it('counts live reservations against a limit until they expire', async () => {
    const issue = await createCouponIssue(t.db, {
      programId,
      code: 'flash',
      name: 'Flash sale',
      kind: 'promo_code',
      pattern: { length: 6 },
      maxUsesTotal: 1,
    });
    await importCoupons(t.db, { programId, issueId: issue.id, codes: ['FLASH'], at: t0 });
    const reserve = (holder: string, at: Date) =>
      tx((trx) =>
        reserveCoupons(trx, { programId, codes: ['FLASH'], customerId: null, holder, at, ttlSeconds: 60 }),
      );
    expect((await reserve('a', t0))[0]!.ok).toBe(true);
    expect((await reserve('b', later(30)))[0]).toMatchObject({ ok: false, reason: 'coupon_limit_reached' });
    expect((await reserve('b', later(60)))[0]!.ok).toBe(true);
    const lateRedeem = await tx((trx) =>
      redeemCoupons(trx, { programId, holder: 'a', codes: ['FLASH'], customerId: null, at: later(61) }),
    );
    expect(lateRedeem[0]).toMatchObject({ ok: false, reason: 'coupon_limit_reached' });
  });
});

describe('issueCouponsForPurchase', () => {
  it('issues generated codes to the customer once per purchase and issue', async () => {
    await createCouponIssue(t.db, {
      programId,
      code: 'thanks',
      name: 'Thank you',
      kind: 'single_use',
      pattern: { prefix: 'TY', length: 8, group: 4 },
      activationDelaySeconds: 86_400,
      lifetimeSeconds: 7 * 86_400,
    });
    const input = {
      programId,
      customerId: alice,
      issueCode: 'thanks',
      quantity: 2,
      holder: 'purchase:77',
      at: t0,
    };
    const first = await tx((trx) => issueCouponsForPurchase(trx, input));
    const second = await tx((trx) => issueCouponsForPurchase(trx, { ...input, at: later(5) }));
    expect(second).toEqual(first);
    expect(first).toHaveLength(2);
    const tillKey = await programTillKey(t.db, programId);
    for (const coupon of first) {
      expect(verifyOfflineCheck(coupon.display, { prefix: 'TY', length: 8 }, tillKey)).toBe(true);
      expect(coupon.activatesAt).toEqual(later(86_400));
      expect(coupon.expiresAt).toEqual(later(8 * 86_400));
    }
    const rows = await t.db
      .selectFrom('coupons')
      .select(['customer_id', 'issued_by'])
      .where(
        'code',
        'in',
        first.map((c) => c.code),
      )
      .execute();
    expect(rows).toEqual([
      { customer_id: alice, issued_by: 'purchase:77' },
      { customer_id: alice, issued_by: 'purchase:77' },
    ]);
    await expect(
      tx((trx) => issueCouponsForPurchase(trx, { ...input, issueCode: 'spring', holder: 'p:78' })),
    ).rejects.toMatchObject({ code: 'coupon_issue_not_single_use' });
    await expect(
      tx((trx) => issueCouponsForPurchase(trx, { ...input, issueCode: 'nope', holder: 'p:79' })),
    ).rejects.toMatchObject({ code: 'coupon_issue_not_found', field: 'issueCode' });
  });
});
