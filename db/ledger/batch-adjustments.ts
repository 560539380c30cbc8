import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { validateBatchCsv, type BatchRow } from '../../engine/batch-adjustments';
import {
  adjustmentReasonSchema,
  type BatchAdjustmentResult,
  type BatchPreviewRow,
  type BatchRowError,
} from '../../engine/contracts/batch-adjustment';
import { DomainError } from '../../engine/errors';
import { lotDates } from '../../engine/ledger/lot-policy';
import { customerAccount } from '../customers/accounts';
import { resolveCustomer } from '../customers/identifiers';
import { loadProgram, pointsCurrency, type ProgramInfo } from '../programs';
import type { Database } from '../schema';
import { accruePoints, clawbackPoints } from './points';
import type { Trx } from './store';
import { recordAudit } from '../audit';

export interface BatchAdjustmentInput {
  programId: number;
  /** The staff user who ordered the batch (the key's), null for a key of no staff user. */
  staffId: number | null;
  /** Who the journal entries and the audit row name, e.g. `staff:3`. */
  actor: string;
  /** Business time of every adjustment in the batch. */
  occurredAt: Date;
  /** Reason of every row that gives none. */
  reason: string;
  csv: string;
  dryRun: boolean;
  /** The caller's name for the file: the same rows under another file id are another batch. */
  fileId?: string | null | undefined;
  /** The batch id of the file's latest application, to apply the same file once more on purpose. */
  repeatOf?: string | null | undefined;
}

/**
 * The identity of a batch file: the SHA-256 (hex) of its file id and its rows as parsed, in file order,
 * so line endings, delimiters, quoting and column order do not make another file.
 */
export function batchContentHash(rows: readonly BatchRow[], fileId: string | null): string {
  const normalised = rows.map((r) => [
    r.identifier.kind,
    r.identifier.value.trim(),
    r.amount,
    r.currency ?? null,
    r.reason ?? null,
  ]);
  return createHash('sha256')
    .update(JSON.stringify([fileId, normalised]))
    .digest('hex');
}

/**
 * `batch:` and the first 16 hex digits of the content hash: the audit subject of the file's first
 * application; its n-th application (a confirmed repeat) adds `/n`.
 */
export function batchIdOf(contentHash: string, sequence = 1): string {
  const id = `batch:${contentHash.slice(0, 16)}`;
  return sequence === 1 ? id : `${id}/${sequence}`;
}

interface Application {
  batchId: string;
  sequence: number;
  actor: string;
  recordedAt: Date;
}

/** The first and the latest application of a batch file in the program, if it was applied. */
async function applicationsOf(
  trx: Trx,
  programId: number,
  contentHash: string,
): Promise<{ first: Application; latest: Application } | null> {
  const rows = await sql<Application>`
    select batch_id as "batchId", sequence, actor, recorded_at as "recordedAt" from batch_adjustments
    where program_id = ${programId} and content_hash = ${contentHash}
      and sequence in (1, (select max(sequence) from batch_adjustments
        where program_id = ${programId} and content_hash = ${contentHash}))
    order by sequence`.execute(trx);
  const [first, latest] = [rows.rows[0], rows.rows.at(-1)];
  return first && latest ? { first, latest } : null;
}

function alreadyApplied(applied: { first: Application; latest: Application }, field: string): DomainError {
  const { first, latest } = applied;
  const repeats = latest.sequence > 1 ? `, last repeated as ${latest.batchId}` : '';
  return new DomainError(
    'batch_already_applied',
    `this file was applied as ${first.batchId} by ${first.actor} at ${first.recordedAt.toISOString()}${repeats}; ` +
      `to apply it again send repeatOf: "${latest.batchId}"`,
    409,
    field,
  );
}

/**
 * The batch id of this application of the file: the first, or a repeat that names the latest one. Any
 * other application is refused.
 */
async function applicationOf(
  trx: Trx,
  input: BatchAdjustmentInput,
  contentHash: string,
): Promise<{ batchId: string; sequence: number }> {
  const applied = await applicationsOf(trx, input.programId, contentHash);
  const repeatOf = input.repeatOf ?? null;
  if (applied === null) {
    if (repeatOf !== null)
      throw new DomainError('unknown_batch', `this file was never applied as ${repeatOf}`, 422, 'repeatOf');
    return { batchId: batchIdOf(contentHash), sequence: 1 };
  }
  if (repeatOf !== applied.latest.batchId)
    throw alreadyApplied(applied, repeatOf === null ? 'csv' : 'repeatOf');
  const sequence = applied.latest.sequence + 1;
  return { batchId: batchIdOf(contentHash, sequence), sequence };
}

/** A row with its customer, currency and account found. */
interface ResolvedRow extends BatchRow {
  customerId: number;
  currency: string;
  accountId: number;
}

type Outcome<T> = { ok: T } | { error: DomainError };

/** Runs a lookup once per key; a DomainError is remembered as the key's answer, anything else thrown. */
function memo<T>(lookup: (key: string) => Promise<T>) {
  const seen = new Map<string, Outcome<T>>();
  return async (key: string): Promise<Outcome<T>> => {
    let outcome = seen.get(key);
    if (!outcome) {
      try {
        outcome = { ok: await lookup(key) };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        outcome = { error };
      }
      seen.set(key, outcome);
    }
    return outcome;
  };
}

async function resolveRows(
  trx: Trx,
  program: ProgramInfo,
  rows: BatchRow[],
  errors: BatchRowError[],
): Promise<ResolvedRow[]> {
  const customer = memo(async (key) => {
    const [kind, value] = JSON.parse(key) as [BatchRow['identifier']['kind'], string];
    return (await resolveCustomer(trx, program.id, { kind, value }, program.settings, 'identifier'))
      .customerId;
  });
  const currency = memo((code) => pointsCurrency(trx, program.id, code || undefined));
  const resolved: Array<Omit<ResolvedRow, 'accountId'>> = [];
  for (const row of rows) {
    const found = await customer(JSON.stringify([row.identifier.kind, row.identifier.value]));
    const code = await currency(row.currency ?? '');
    if ('error' in found) {
      const { code: errorCode, message } = found.error;
      errors.push({ line: row.line, column: 'identifier', code: errorCode, message });
    }
    if ('error' in code) {
      const { code: errorCode, message } = code.error;
      errors.push({ line: row.line, column: 'currency', code: errorCode, message });
    }
    if ('ok' in found && 'ok' in code) resolved.push({ ...row, customerId: found.ok, currency: code.ok });
  }
  // Accounts are created on first use, so this runs inside the savepoint.
  const accounts = new Map<string, number>();
  const result: ResolvedRow[] = [];
  for (const row of resolved) {
    const key = `${row.customerId}:${row.currency}`;
    let accountId = accounts.get(key);
    if (accountId === undefined) {
      accountId = await customerAccount(trx, row.customerId, 'points', row.currency);
      accounts.set(key, accountId);
    }
    result.push({ ...row, accountId });
  }
  // Lock every account up front in id order: two batches over the same customers cannot deadlock.
  const ids = [...new Set(result.map((r) => r.accountId))].sort((a, b) => a - b);
  if (ids.length > 0) {
    await sql`select id from accounts where id = any(${ids}::bigint[]) order by id for update`.execute(trx);
  }
  return result;
}

async function applyRows(
  trx: Trx,
  program: ProgramInfo,
  input: BatchAdjustmentInput,
  batchId: string,
  rows: ResolvedRow[],
  errors: BatchRowError[],
): Promise<BatchPreviewRow[]> {
  const preview: BatchPreviewRow[] = [];
  const lot = lotDates(input.occurredAt, { program: program.settings.pointsLifetime });
  for (const row of rows) {
    const ctx = {
      programId: program.id,
      occurredAt: input.occurredAt,
      actor: input.actor,
      reason: row.reason ?? input.reason,
      details: { batch: batchId, line: row.line, staffId: input.staffId },
      role: 'adjustment',
      kind: 'adjust',
      accountId: row.accountId,
    };
    try {
      const result =
        row.amount > 0
          ? await accruePoints(trx, { ...ctx, amount: row.amount, lot })
          : await clawbackPoints(trx, { ...ctx, amount: -row.amount, policy: 'fail' });
      // An adjustment moves the balance (lots less debt) by exactly its amount.
      const after = result.balance.balance;
      preview.push({
        line: row.line,
        customerId: row.customerId,
        identifierKind: row.identifier.kind,
        amount: row.amount,
        currency: row.currency,
        balanceBefore: after - row.amount,
        balanceAfter: after,
      });
    } catch (error) {
      // Domain refusals are raised before anything is written, so the transaction stays usable.
      if (!(error instanceof DomainError)) throw error;
      const column = error.field === 'amount' ? 'amount' : undefined;
      errors.push({
        line: row.line,
        ...(column ? { column } : {}),
        code: error.code,
        message: error.message,
      });
    }
  }
  return preview;
}

async function runInTransaction(trx: Trx, input: BatchAdjustmentInput): Promise<BatchAdjustmentResult> {
  const reason = adjustmentReasonSchema.safeParse(input.reason);
  if (!reason.success)
    throw new DomainError('invalid_reason', 'reason must be 3 to 500 characters', 422, 'reason');
  const program = await loadProgram(trx, input.programId);
  if (input.staffId !== null) {
    const staff = await trx
      .selectFrom('staff_users')
      .select('id')
      .where('id', '=', input.staffId)
      .where('program_id', '=', program.id)
      .executeTakeFirst();
    if (!staff)
      throw new DomainError('unknown_staff', 'no staff user with this id in the program', 422, 'staffId');
  }

  const checked = validateBatchCsv(input.csv);
  const fileId = input.fileId ?? null;
  const contentHash = batchContentHash(checked.rows, fileId);
  const report: BatchAdjustmentResult = {
    dryRun: input.dryRun,
    applied: false,
    batchId: batchIdOf(contentHash),
    rows: checked.rowCount,
    totals: checked.totals,
    errors: checked.errors,
    preview: [],
  };
  if (checked.fileRejected) return report;
  const { batchId, sequence } = await applicationOf(trx, input, contentHash);
  report.batchId = batchId;

  const errors = [...checked.errors];
  await sql`savepoint batch_adjustment`.execute(trx);
  try {
    // Recorded first: the same file sent at once by another caller waits here, then is refused.
    const { rows: recorded } = await sql`
      insert into batch_adjustments
        (program_id, content_hash, file_id, sequence, batch_id, repeat_of, actor, occurred_at)
      values (${program.id}, ${contentHash}, ${fileId}, ${sequence}, ${batchId}, ${input.repeatOf ?? null},
        ${input.actor}, ${input.occurredAt})
      on conflict (program_id, content_hash, sequence) do nothing
      returning id`.execute(trx);
    if (recorded.length === 0)
      throw alreadyApplied(
        (await applicationsOf(trx, program.id, contentHash))!,
        input.repeatOf ? 'repeatOf' : 'csv',
      );
    const rows = await resolveRows(trx, program, checked.rows, errors);
    report.preview = await applyRows(trx, program, { ...input, reason: reason.data }, batchId, rows, errors);
  } catch (error) {
    // Undo the batch's writes so the caller's transaction is usable, and pass it on.
    await sql`rollback to savepoint batch_adjustment`.execute(trx);
    throw error;
  }
  report.errors = errors.sort((a, b) => a.line - b.line);
  if (errors.length > 0 || input.dryRun) {
    await sql`rollback to savepoint batch_adjustment`.execute(trx);
    await sql`release savepoint batch_adjustment`.execute(trx);
    return report;
  }
  await recordAudit(trx, {
    programId: program.id,
    actor: input.actor,
    action: 'points.batch_adjust',
    subject: batchId,
    changes: {
      rows: report.rows,
      totals: report.totals,
      staffId: input.staffId,
      fileId,
      contentHash,
      repeatOf: input.repeatOf ?? null,
    },
    occurredAt: input.occurredAt,
  });
  await sql`release savepoint batch_adjustment`.execute(trx);
  return { ...report, applied: true };
}

/**
 * Applies a CSV of manual adjustments all or nothing. The file is checked, every row's customer and
 * currency resolved, then every row applied in file order (credits as adjustment accruals, debits as
 * clawbacks that never go below what the lots hold) inside a savepoint, collecting each row's refusal.
 * When any row failed, or for a dry run, the savepoint is rolled back: the report then shows exactly
 * what a real run would have done. Otherwise the batch stays, with one audit row and its record.
 *
 * A file already applied (the same rows and file id) is refused with 409 `batch_already_applied`
 * naming its first application, dry run or not, unless `repeatOf` names its latest application.
 *
 * Given a transaction (the idempotent API route's), it works inside it; given the pool, it opens one.
 * An unknown staff user or an invalid default reason is thrown (DomainError); problems of the file are
 * in the report.
 */
export async function runBatchAdjustment(
  db: Kysely<Database>,
  input: BatchAdjustmentInput,
): Promise<BatchAdjustmentResult> {
  if (db.isTransaction) return runInTransaction(db as Trx, input);
  return db.transaction().execute((trx) => runInTransaction(trx, input));
}
