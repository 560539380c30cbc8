import { randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { z } from 'zod';
import {
  codePatternSchema,
  createCodeGenerator,
  maxIssuable,
  normalizeCode,
  type CodePattern,
} from '../../engine/coupons/code-pattern';
import { couponWindow } from '../../engine/coupons/coupon-state';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';

export const couponIssueInputSchema = z.object({
  code: z.string().min(1).max(64),
  name: z.string().min(1).max(200),
  kind: z.enum(['single_use', 'promo_code']),
  pattern: codePatternSchema,
  maxUsesTotal: z.number().int().positive().nullish(),
  maxUsesPerCustomer: z.number().int().positive().nullish(),
  activationDelaySeconds: z.number().int().min(0).default(0),
  lifetimeSeconds: z.number().int().positive().nullish(),
  imageUrl: z.url().max(2000).nullish(),
  shortDescription: z.string().max(500).nullish(),
  longDescription: z.string().max(20_000).nullish(),
});

export type CouponIssueInput = z.input<typeof couponIssueInputSchema>;

/** The current transaction, as coupons.changed_xid records it. */
export const changedXid = sql<number>`pg_current_xact_id()::text::bigint`;

/** Runs `run` in the caller's transaction when `db` is one, else in a new one. */
function inTransaction<T>(db: Kysely<Database>, run: (trx: Kysely<Database>) => Promise<T>): Promise<T> {
  return db.isTransaction ? run(db) : db.transaction().execute(run);
}

/**
 * The program's till key (32 random bytes, made on first use): it keys the offline check of coupon
 * codes, and tills fetch it to verify codes without the network.
 */
export async function programTillKey(db: Kysely<Database>, programId: number): Promise<Buffer> {
  await db
    .insertInto('program_till_keys')
    .values({ program_id: programId, till_key: randomBytes(32) })
    .onConflict((oc) => oc.column('program_id').doNothing())
    .execute();
  const row = await db
    .selectFrom('program_till_keys')
    .select('till_key')
    .where('program_id', '=', programId)
    .executeTakeFirstOrThrow();
  return row.till_key;
}

/** A coupon issue with a fresh secret key for its code permutation (in the caller's transaction if given one). */
export async function createCouponIssue(
  db: Kysely<Database>,
  input: CouponIssueInput & { programId: number },
): Promise<{ id: number; pattern: CodePattern; maxIssuable: number }> {
  const issue = couponIssueInputSchema.parse(input);
  return inTransaction(db, async (trx) => {
    const program = await trx
      .selectFrom('programs')
      .select('id')
      .where('id', '=', input.programId)
      .executeTakeFirst();
    if (!program) throw new DomainError('program_not_found', `no program ${input.programId}`, 404);
    await programTillKey(trx, input.programId);
    const row = await trx
      .insertInto('coupon_issues')
      .values({
        program_id: input.programId,
        code: issue.code,
        name: issue.name,
        kind: issue.kind,
        pattern: JSON.stringify(issue.pattern),
        secret_key: randomBytes(32),
        max_uses_total: issue.maxUsesTotal ?? null,
        max_uses_per_customer: issue.maxUsesPerCustomer ?? null,
        activation_delay_seconds: issue.activationDelaySeconds,
        lifetime_seconds: issue.lifetimeSeconds ?? null,
        image_url: issue.imageUrl ?? null,
        short_description: issue.shortDescription ?? null,
        long_description: issue.longDescription ?? null,
      })
      .onConflict((oc) => oc.columns(['program_id', 'code']).doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!row) throw new DomainError('coupon_issue_exists', `coupon issue ${issue.code} exists`, 409, 'code');
    return { id: row.id, pattern: issue.pattern, maxIssuable: maxIssuable(issue.pattern) };
  });
}

/** Codes per INSERT statement: one comma-joined text parameter each. */
const batchSize = 50_000;

/**
 * Writes codes (normalised, in ascending byte order for the B-tree) of one issue as `issued` coupons
 * without a customer, in the caller's transaction, valid from the issue's activation delay after `at`
 * for its lifetime. Imported codes carry their transaction at once: tills learn them from the
 * delta list (db/coupons/till-config.ts). When the role may (superuser), the per-row foreign-key
 * triggers are skipped after the program and issue are locked `for key share`, as db/card-pools.ts
 * does; a trigger added to `coupons` later must be run here by hand.
 */
async function writeCodes(
  trx: Kysely<Database>,
  input: { programId: number; issueId: number; at: Date; imported: boolean },
  batches: Iterator<string[], void, undefined>,
): Promise<number> {
  const { programId, issueId } = input;
  const role = await sql<{ superuser: boolean }>`
    select current_setting('is_superuser') = 'on' as superuser`.execute(trx);
  const fast = role.rows[0]?.superuser === true;
  const issue = await sql<{ activation_delay_seconds: number; lifetime_seconds: number | null }>`
    select i.activation_delay_seconds, i.lifetime_seconds
    from coupon_issues i join programs p on p.id = i.program_id
    where i.id = ${issueId} and i.program_id = ${programId}
    ${fast ? sql`for key share` : sql``}`.execute(trx);
  const found = issue.rows[0];
  if (!found) {
    throw new DomainError('coupon_issue_not_found', `no coupon issue ${issueId}`, 404, 'issueId');
  }
  const window = couponWindow(
    { activationDelaySeconds: found.activation_delay_seconds, lifetimeSeconds: found.lifetime_seconds },
    input.at,
  );
  if (fast) await sql`set local session_replication_role = replica`.execute(trx);

  let inserted = 0;
  let next = batches.next();
  while (!next.done) {
    const writing = sql`
      insert into coupons (issue_id, program_id, code, issued_at, activates_at, expires_at, imported, changed_xid)
      select ${issueId}, ${programId}, c, ${input.at}, ${window.activatesAt}, ${window.expiresAt}::timestamptz,
        ${input.imported}, ${input.imported ? changedXid : sql`null::bigint`}
      from unnest(string_to_array(${next.value.join(',')}::text, ',')) as c`.execute(trx);
    writing.catch(() => {}); // awaited below; a failure must not go unhandled meanwhile
    next = batches.next(); // format the next batch while PostgreSQL writes this one
    inserted += Number((await writing).numAffectedRows ?? 0);
  }
  if (fast) await sql`set local session_replication_role = origin`.execute(trx);
  return inserted;
}

function takenError(error: unknown): unknown {
  const e = error as { code?: unknown; constraint?: unknown } | null;
  if (e?.code === '23505' && e.constraint === 'coupons_program_code') {
    return new DomainError(
      'coupon_code_taken',
      'some of these codes already exist in the program: nothing was written',
      409,
    );
  }
  return error;
}

/**
 * Generates `count` coupons of an issue from its pattern. The index range is reserved first in a
 * transaction of its own (so a range is never reused, even when writing fails), then all codes are
 * written in one transaction: all or none. Given a transaction, both happen in it (and a failure
 * frees the range with everything else). Codes are unique by construction (a keyed permutation of
 * the index space); one equal to an imported code fails the whole call with `coupon_code_taken`.
 * `at` (default now) starts the codes' activation delay and lifetime.
 */
export async function generateCoupons(
  db: Kysely<Database>,
  input: { programId: number; issueId: number; count: number; at?: Date },
): Promise<{ inserted: number; startIndex: number; ms: number }> {
  const started = performance.now();
  if (!Number.isSafeInteger(input.count) || input.count < 1) {
    throw new DomainError('invalid_count', `count must be a positive integer`, 422, 'count');
  }
  const reserved = await inTransaction(db, async (trx) => {
    const row = await trx
      .updateTable('coupon_issues')
      .set((eb) => ({ next_index: eb('next_index', '+', input.count) }))
      .where('id', '=', input.issueId)
      .where('program_id', '=', input.programId)
      .returning(['next_index', 'pattern', 'secret_key'])
      .executeTakeFirst();
    if (!row) {
      throw new DomainError('coupon_issue_not_found', `no coupon issue ${input.issueId}`, 404, 'issueId');
    }
    const pattern = codePatternSchema.parse(row.pattern);
    const startIndex = row.next_index - input.count;
    if (row.next_index > maxIssuable(pattern)) {
      throw new DomainError(
        'coupon_codes_exhausted',
        `the pattern may issue ${maxIssuable(pattern)} codes (1/1000 of its random parts); ${startIndex} are taken`,
        422,
        'count',
      );
    }
    const tillKey = await programTillKey(trx, input.programId);
    return { startIndex, pattern, secretKey: row.secret_key, tillKey };
  });

  const generator = createCodeGenerator(reserved.pattern, reserved.secretKey, reserved.tillKey);
  const batches = generator.batches(reserved.startIndex, input.count, { size: batchSize, sorted: true });
  try {
    const target = { ...input, at: input.at ?? new Date(), imported: false };
    const inserted = await inTransaction(db, (trx) => writeCodes(trx, target, batches));
    return { inserted, startIndex: reserved.startIndex, ms: Math.round(performance.now() - started) };
  } catch (error) {
    throw takenError(error);
  }
}

/** What an import found wrong; nothing is written when any list is non-empty. */
export interface ImportCouponsRejection {
  ok: false;
  /** Codes empty or with characters other than letters and digits after normalisation (0-based line). */
  invalid: { line: number; value: string }[];
  /** Normalised codes that occur more than once in the file. */
  duplicatesInFile: string[];
  /** Normalised codes the program already has (in any issue). */
  existing: string[];
}

const importedCode = /^[A-Z0-9]{1,64}$/;

/**
 * Imports external codes into an issue as `issued` coupons: normalised (upper case, no spaces or
 * dashes), all or nothing. Invalid codes, duplicates within the file and codes the program already
 * has are reported and nothing is written. Imported codes carry no offline check: tills learn them
 * from a delta list.
 */
export async function importCoupons(
  db: Kysely<Database>,
  input: { programId: number; issueId: number; codes: string[]; at?: Date },
): Promise<{ ok: true; inserted: number } | ImportCouponsRejection> {
  const invalid: ImportCouponsRejection['invalid'] = [];
  const seen = new Set<string>();
  const duplicates = new Set<string>();
  input.codes.forEach((raw, line) => {
    const code = normalizeCode(raw);
    if (!importedCode.test(code)) invalid.push({ line, value: raw });
    else if (seen.has(code)) duplicates.add(code);
    else seen.add(code);
  });
  const codes = [...seen].sort(); // ASCII upper case and digits: JS order is the column's "C" order

  try {
    return await inTransaction(db, async (trx) => {
      const existing: string[] = [];
      for (let i = 0; i < codes.length; i += batchSize) {
        const found = await sql<{ code: string }>`
          select code from coupons
          where program_id = ${input.programId}
            and code = any(string_to_array(${codes.slice(i, i + batchSize).join(',')}::text, ','))`.execute(
          trx,
        );
        for (const row of found.rows) existing.push(row.code);
      }
      if (invalid.length > 0 || duplicates.size > 0 || existing.length > 0) {
        return {
          ok: false as const,
          invalid,
          duplicatesInFile: [...duplicates].sort(),
          existing: existing.sort(),
        };
      }
      const batches = (function* () {
        for (let i = 0; i < codes.length; i += batchSize) yield codes.slice(i, i + batchSize);
      })();
      const target = { ...input, at: input.at ?? new Date(), imported: true };
      const inserted = await writeCodes(trx, target, batches);
      return { ok: true as const, inserted };
    });
  } catch (error) {
    throw takenError(error);
  }
}
