import { sql, type Kysely } from 'kysely';
import { normalizeCode } from '../../engine/coupons/code-pattern';
import { couponState, type CouponRefusal } from '../../engine/coupons/coupon-state';
import { DomainError } from '../../engine/errors';
import type { CouponUseStatus, Database } from '../schema';
import { changedXid } from './coupon-issues';
import { countRedemption, issueUsage, selectCouponRows, snapshotOf, type CouponRow } from './coupon-usage';

/**
 * Coupons in a purchase: reserve at calculation, redeem at confirm, release at cancel, restore at
 * return. Every command runs in the caller's transaction with the business time `at`, and is
 * idempotent per holder (the purchase reference).
 *
 * Concurrency: the coupons are locked `for update` in code order, then the issues with limits by an
 * advisory lock in issue order, so two tills never take one single-use coupon, and limits of promo
 * codes hold under concurrent purchases; one order for every command means no deadlocks among them,
 * as long as a transaction runs one command per purchase step (all its codes in one call).
 * A single-use coupon carries its holder and reservation on its row; every use of any coupon is a
 * row of `coupon_uses` (one per coupon and holder), which the limits count.
 */

/** What happened to one presented code. `issueId` is the issue's code, as pricing rules name it. */
export type CouponOutcome =
  | { code: string; issueId: string; ok: true }
  | { code: string; issueId: string | null; ok: false; reason: CouponRefusal };

interface Target {
  programId: number;
  /** The purchase reference that holds the coupons. */
  holder: string;
  /** Business time. */
  at: Date;
}

function distinctCodes(codes: string[]): string[] {
  return [...new Set(codes.map(normalizeCode))];
}

function checkHolder(holder: string): void {
  if (holder.length === 0 || holder.length > 200) {
    throw new DomainError('invalid_holder', 'the holder reference needs 1 to 200 characters', 422, 'holder');
  }
}

/** Locks the coupons (code order), then the limit locks of their issues (issue order). */
async function lockCoupons(trx: Kysely<Database>, programId: number, codes: string[]): Promise<CouponRow[]> {
  if (codes.length === 0) return [];
  const rows = await selectCouponRows(trx, programId)
    .where('c.code', 'in', codes)
    .orderBy('c.code')
    .forUpdate(['c'])
    .execute();
  const limited = [
    ...new Set(
      rows
        .filter((r) => r.max_uses_total !== null || r.max_uses_per_customer !== null)
        .map((r) => r.issue_id),
    ),
  ].sort((a, b) => a - b);
  for (const issueId of limited) {
    const key = `coupon-issue-limit:${issueId}`;
    await sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`.execute(trx);
  }
  return rows;
}

interface OwnUse {
  coupon_id: number;
  customer_id: number | null;
  status: CouponUseStatus;
  reserved_until: Date | null;
}

async function ownUses(
  trx: Kysely<Database>,
  holder: string,
  rows: CouponRow[],
): Promise<Map<number, OwnUse>> {
  if (rows.length === 0) return new Map();
  const uses = await trx
    .selectFrom('coupon_uses')
    .select(['coupon_id', 'customer_id', 'status', 'reserved_until'])
    .where('holder', '=', holder)
    .where(
      'coupon_id',
      'in',
      rows.map((r) => r.id),
    )
    .execute();
  return new Map(uses.map((u) => [u.coupon_id, u]));
}

/** The outcome of each code in the caller's order; codes the program lacks are unknown. */
function inGivenOrder(codes: string[], outcomes: Map<string, CouponOutcome>): CouponOutcome[] {
  return codes.map(
    (code) => outcomes.get(code) ?? { code, issueId: null, ok: false, reason: 'coupon_unknown' },
  );
}

const holds = (use: OwnUse | undefined, at: Date) =>
  use?.status === 'reserved' && use.reserved_until !== null && use.reserved_until > at;

/** Writes the holder's use of a coupon (one row per coupon and holder). */
async function writeUse(
  trx: Kysely<Database>,
  row: CouponRow,
  input: Target & { customerId: number | null },
  use: { status: CouponUseStatus; reservedUntil: Date | null; redeemedAt: Date | null },
): Promise<void> {
  await trx
    .insertInto('coupon_uses')
    .values({
      program_id: input.programId,
      coupon_id: row.id,
      issue_id: row.issue_id,
      customer_id: input.customerId,
      holder: input.holder,
      status: use.status,
      reserved_until: use.reservedUntil,
      redeemed_at: use.redeemedAt,
      changed_at: input.at,
    })
    .onConflict((oc) =>
      oc.columns(['coupon_id', 'holder']).doUpdateSet({
        customer_id: input.customerId,
        status: use.status,
        reserved_until: use.reservedUntil,
        redeemed_at: use.redeemedAt,
        changed_at: input.at,
      }),
    )
    .execute();
}

/**
 * Whether each code may be used by a check of `customerId` at `at`, judged as reserveCoupons judges
 * it (ownership, windows, reservations, limits) but taking nothing: the dry run of a check the till
 * does not name. The answer per distinct normalised code, in the order given.
 */
export async function checkCoupons(
  db: Kysely<Database>,
  input: { programId: number; codes: string[]; customerId: number | null; at: Date },
): Promise<CouponOutcome[]> {
  const codes = distinctCodes(input.codes);
  if (codes.length === 0) return [];
  const rows = await selectCouponRows(db, input.programId).where('c.code', 'in', codes).execute();
  const usage = await issueUsage(db, rows, input.customerId, input.at);
  const outcomes = new Map<string, CouponOutcome>();
  for (const row of rows) {
    const verdict = couponState(snapshotOf(row, usage), { at: input.at, customerId: input.customerId });
    outcomes.set(
      row.code,
      verdict.ok
        ? { code: row.code, issueId: row.issue_code, ok: true }
        : { code: row.code, issueId: row.issue_code, ok: false, reason: verdict.reason },
    );
  }
  return inGivenOrder(codes, outcomes);
}

/**
 * Takes each code for `holder` until `at + ttlSeconds`, or says why it cannot: the answer per
 * distinct normalised code, in the order given. A code the holder already holds (or redeemed) is
 * answered ok without a change; its expired reservation is taken anew if the coupon is still free.
 */
export async function reserveCoupons(
  trx: Kysely<Database>,
  input: Target & { codes: string[]; customerId: number | null; ttlSeconds: number },
): Promise<CouponOutcome[]> {
  checkHolder(input.holder);
  if (!Number.isInteger(input.ttlSeconds) || input.ttlSeconds < 1 || input.ttlSeconds > 86_400) {
    throw new DomainError('invalid_ttl', 'ttlSeconds must be 1 … 86 400', 422, 'ttlSeconds');
  }
  const codes = distinctCodes(input.codes);
  const rows = await lockCoupons(trx, input.programId, [...codes].sort());
  const own = await ownUses(trx, input.holder, rows);
  const usage = await issueUsage(trx, rows, input.customerId, input.at);
  const reservedUntil = new Date(input.at.getTime() + input.ttlSeconds * 1000);

  const outcomes = new Map<string, CouponOutcome>();
  for (const row of rows) {
    const use = own.get(row.id);
    if (use?.status === 'redeemed' || holds(use, input.at)) {
      outcomes.set(row.code, { code: row.code, issueId: row.issue_code, ok: true });
      continue;
    }
    const verdict = couponState(snapshotOf(row, usage), input);
    if (!verdict.ok) {
      outcomes.set(row.code, { code: row.code, issueId: row.issue_code, ok: false, reason: verdict.reason });
      continue;
    }
    await writeUse(trx, row, input, { status: 'reserved', reservedUntil, redeemedAt: null });
    if (row.kind === 'single_use') {
      await trx
        .updateTable('coupons')
        .set({ status: 'reserved', reserved_by: input.holder, reserved_until: reservedUntil })
        .where('id', '=', row.id)
        .execute();
    }
    const counted = usage.get(row.issue_id);
    if (counted) {
      counted.total += 1;
      if (input.customerId !== null) counted.byCustomer += 1;
    }
    outcomes.set(row.code, { code: row.code, issueId: row.issue_code, ok: true });
  }
  return inGivenOrder(codes, outcomes);
}

/**
 * Uses the coupons for good: single-use coupons become `redeemed`, every coupon counts a use. The
 * holder's live reservation is redeemed as is; without one (never reserved, or expired) the coupon is
 * checked as a reservation would be. A code the holder already redeemed is answered ok again.
 */
export async function redeemCoupons(
  trx: Kysely<Database>,
  input: Target & { codes: string[]; customerId: number | null },
): Promise<CouponOutcome[]> {
  checkHolder(input.holder);
  const codes = distinctCodes(input.codes);
  const rows = await lockCoupons(trx, input.programId, [...codes].sort());
  const own = await ownUses(trx, input.holder, rows);
  const usage = await issueUsage(trx, rows, input.customerId, input.at);

  const outcomes = new Map<string, CouponOutcome>();
  for (const row of rows) {
    const use = own.get(row.id);
    if (use?.status !== 'redeemed') {
      if (!holds(use, input.at)) {
        const verdict = couponState(snapshotOf(row, usage), input);
        if (!verdict.ok) {
          outcomes.set(row.code, {
            code: row.code,
            issueId: row.issue_code,
            ok: false,
            reason: verdict.reason,
          });
          continue;
        }
        const counted = usage.get(row.issue_id);
        if (counted) {
          counted.total += 1;
          if (input.customerId !== null) counted.byCustomer += 1;
        }
      }
      await writeUse(trx, row, input, { status: 'redeemed', reservedUntil: null, redeemedAt: input.at });
      await countRedemption(trx, row, input.customerId, 1);
      await trx
        .updateTable('coupons')
        .set((eb) => ({
          uses: eb('uses', '+', 1),
          changed_xid: changedXid,
          ...(row.kind === 'single_use'
            ? { status: 'redeemed', redeemed_at: input.at, reserved_by: input.holder, reserved_until: null }
            : {}),
        }))
        .where('id', '=', row.id)
        .execute();
    }
    outcomes.set(row.code, { code: row.code, issueId: row.issue_code, ok: true });
  }
  return inGivenOrder(codes, outcomes);
}

/** A coupon given back by `releaseCoupons` or `restoreCoupons`, and what the holder had done with it. */
export interface ReturnedCoupon {
  code: string;
  issueId: string;
  was: 'reserved' | 'redeemed';
}

/** Gives back the holder's uses of these coupons (all of the holder's when `codes` is undefined). */
async function giveBack(
  trx: Kysely<Database>,
  input: Target & { codes?: string[] },
  statuses: ('reserved' | 'redeemed')[],
  to: 'released' | 'restored',
): Promise<ReturnedCoupon[]> {
  checkHolder(input.holder);
  let codes = input.codes ? distinctCodes(input.codes) : undefined;
  if (!codes) {
    const held = await trx
      .selectFrom('coupon_uses as u')
      .innerJoin('coupons as c', 'c.id', 'u.coupon_id')
      .select('c.code')
      .where('u.program_id', '=', input.programId)
      .where('u.holder', '=', input.holder)
      .where('u.status', 'in', statuses)
      .execute();
    codes = held.map((h) => h.code);
  }
  const rows = await lockCoupons(trx, input.programId, [...codes].sort());
  const own = await ownUses(trx, input.holder, rows);
  const returned: ReturnedCoupon[] = [];
  for (const row of rows) {
    const use = own.get(row.id);
    if (!use || !(statuses as CouponUseStatus[]).includes(use.status)) continue;
    const was = use.status as 'reserved' | 'redeemed';
    await trx
      .updateTable('coupon_uses')
      .set({ status: to, reserved_until: null, changed_at: input.at })
      .where('coupon_id', '=', row.id)
      .where('holder', '=', input.holder)
      .execute();
    if (was === 'redeemed') {
      await countRedemption(trx, row, use.customer_id, -1);
      await trx
        .updateTable('coupons')
        .set((eb) => ({
          uses: sql<number>`greatest(${eb.ref('uses')} - 1, 0)`,
          changed_xid: changedXid,
          ...(row.kind === 'single_use'
            ? { status: 'issued', redeemed_at: null, reserved_by: null, reserved_until: null }
            : {}),
        }))
        .where('id', '=', row.id)
        .execute();
    } else if (row.kind === 'single_use' && row.reserved_by === input.holder) {
      await trx
        .updateTable('coupons')
        .set({ status: 'issued', reserved_by: null, reserved_until: null })
        .where('id', '=', row.id)
        .where('status', '=', 'reserved')
        .execute();
    }
    returned.push({ code: row.code, issueId: row.issue_code, was });
  }
  return returned;
}

/**
 * At cancel: everything the holder reserved or redeemed comes back (single-use coupons become usable
 * again, promo codes lose the use). Calling it again gives back nothing more. `codes`: the holder's
 * coupons when the caller read them already (in this transaction), sparing the lookup.
 */
export function releaseCoupons(
  trx: Kysely<Database>,
  input: Target & { codes?: string[] },
): Promise<ReturnedCoupon[]> {
  return giveBack(trx, input, ['reserved', 'redeemed'], 'released');
}

/**
 * At return: the listed coupons the holder redeemed come back (the caller asks when the program's
 * policy restores coupons on return). Codes the holder did not redeem, or restored before, are
 * skipped; the answer lists what came back.
 */
export function restoreCoupons(
  trx: Kysely<Database>,
  input: Target & { codes: string[] },
): Promise<ReturnedCoupon[]> {
  return giveBack(trx, input, ['redeemed'], 'restored');
}
