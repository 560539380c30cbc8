import { sql, type Kysely } from 'kysely';
import {
  codePatternSchema,
  createCodeGenerator,
  formatCode,
  maxIssuable,
  normalizeCode,
} from '../../engine/coupons/code-pattern';
import { couponWindow } from '../../engine/coupons/coupon-state';
import { DomainError } from '../../engine/errors';
import type { Database } from '../schema';
import { programTillKey } from './coupon-issues';

/** A coupon given to a customer, as a receipt prints it and an app shows it. */
export interface IssuedCoupon {
  code: string;
  /** The code grouped for print (the pattern's `group`). */
  display: string;
  /** The issue's code, as pricing rules name it. */
  issueId: string;
  activatesAt: Date;
  expiresAt: Date | null;
}

/**
 * Locks the issue (one issuer at a time; `for no key update` leaves the foreign-key checks of coupons
 * and their uses free) and checks it belongs to the program.
 */
async function lockIssue(trx: Kysely<Database>, programId: number, issueCode: string) {
  const issue = await trx
    .selectFrom('coupon_issues')
    .selectAll()
    .where('program_id', '=', programId)
    .where('code', '=', issueCode)
    .forNoKeyUpdate()
    .executeTakeFirst();
  if (!issue) {
    throw new DomainError('coupon_issue_not_found', `no coupon issue "${issueCode}"`, 404, 'issueCode');
  }
  return issue;
}

type IssueRow = Awaited<ReturnType<typeof lockIssue>>;

function toIssued(
  issue: IssueRow,
  row: { code: string; activates_at: Date | null; expires_at: Date | null },
) {
  const pattern = codePatternSchema.parse(issue.pattern);
  return {
    code: row.code,
    display: formatCode(row.code, pattern),
    issueId: issue.code,
    activatesAt: row.activates_at!,
    expiresAt: row.expires_at,
  };
}

/** Only single-use issues give customers codes of their own; a promo code is shared by all. */
function assertSingleUse(issue: IssueRow): void {
  if (issue.kind !== 'single_use') {
    throw new DomainError(
      'coupon_issue_not_single_use',
      `"${issue.code}" is a promo code issue: its code is shared, not issued per customer`,
      422,
      'issueCode',
    );
  }
}

/** Generates `quantity` new codes of the issue for the customer, valid from `at` by the issue's window. */
async function generateFor(
  trx: Kysely<Database>,
  issue: IssueRow,
  input: { customerId: number; quantity: number; at: Date; issuedBy: string | null },
): Promise<IssuedCoupon[]> {
  assertSingleUse(issue);
  const pattern = codePatternSchema.parse(issue.pattern);
  const startIndex = issue.next_index;
  if (startIndex + input.quantity > maxIssuable(pattern)) {
    throw new DomainError('coupon_codes_exhausted', `coupon issue "${issue.code}" has no codes left`, 422);
  }
  await trx
    .updateTable('coupon_issues')
    .set({ next_index: startIndex + input.quantity })
    .where('id', '=', issue.id)
    .execute();
  const tillKey = await programTillKey(trx, issue.program_id);
  const codes = createCodeGenerator(pattern, issue.secret_key, tillKey).generate(startIndex, input.quantity);
  const window = couponWindow(
    { activationDelaySeconds: issue.activation_delay_seconds, lifetimeSeconds: issue.lifetime_seconds },
    input.at,
  );
  try {
    const rows = await trx
      .insertInto('coupons')
      .values(
        codes.map((code) => ({
          issue_id: issue.id,
          program_id: issue.program_id,
          code,
          customer_id: input.customerId,
          issued_at: input.at,
          activates_at: window.activatesAt,
          expires_at: window.expiresAt,
          issued_by: input.issuedBy,
        })),
      )
      .returning(['code', 'activates_at', 'expires_at'])
      .execute();
    return rows.map((row) => toIssued(issue, row));
  } catch (error) {
    const e = error as { code?: unknown } | null;
    if (e?.code === '23505') {
      throw new DomainError('coupon_code_taken', 'a generated code equals an imported one; try again', 409);
    }
    throw error;
  }
}

/**
 * The coupons a promotion issues at confirm: `quantity` fresh codes of a single-use issue for the
 * customer, returned so the receipt prints them. Idempotent per holder and issue: a second call
 * answers the coupons of the first.
 */
export async function issueCouponsForPurchase(
  trx: Kysely<Database>,
  input: {
    programId: number;
    customerId: number;
    issueCode: string;
    quantity: number;
    holder: string;
    at: Date;
  },
): Promise<IssuedCoupon[]> {
  if (!Number.isInteger(input.quantity) || input.quantity < 1 || input.quantity > 100) {
    throw new DomainError('invalid_quantity', 'quantity must be 1 … 100', 422, 'quantity');
  }
  const issue = await lockIssue(trx, input.programId, input.issueCode);
  const earlier = await trx
    .selectFrom('coupons')
    .select(['code', 'activates_at', 'expires_at'])
    .where('program_id', '=', input.programId)
    .where('issued_by', '=', input.holder)
    .where('issue_id', '=', issue.id)
    .orderBy('id')
    .execute();
  if (earlier.length > 0) return earlier.map((row) => toIssued(issue, row));
  return generateFor(trx, issue, { ...input, issuedBy: input.holder });
}

/**
 * Gives a customer a coupon of a single-use issue: the given code when it is a free coupon of the
 * issue (generated or imported, not yet given or used), else a freshly generated one. Its window
 * starts at `at`.
 */
export async function issueCouponToCustomer(
  trx: Kysely<Database>,
  input: { programId: number; customerId: number; issueCode: string; code?: string | null; at: Date },
): Promise<IssuedCoupon> {
  const issue = await lockIssue(trx, input.programId, input.issueCode);
  if (!input.code) {
    const [coupon] = await generateFor(trx, issue, { ...input, quantity: 1, issuedBy: null });
    return coupon!;
  }
  assertSingleUse(issue);
  const code = normalizeCode(input.code);
  const coupon = await trx
    .selectFrom('coupons')
    .select(['id', 'issue_id', 'customer_id', 'status', 'uses'])
    .where('program_id', '=', input.programId)
    .where('code', '=', code)
    .forUpdate()
    .executeTakeFirst();
  if (!coupon || coupon.issue_id !== issue.id) {
    throw new DomainError('coupon_unknown', `no coupon ${code} in issue "${issue.code}"`, 404, 'code');
  }
  if (coupon.customer_id !== null || coupon.uses > 0 || !['issued', 'active'].includes(coupon.status)) {
    throw new DomainError('coupon_not_free', `coupon ${code} was already given or used`, 409, 'code');
  }
  const window = couponWindow(
    { activationDelaySeconds: issue.activation_delay_seconds, lifetimeSeconds: issue.lifetime_seconds },
    input.at,
  );
  // issued_at is written once in the schema's types; giving a pool coupon away is its issue to the customer
  const updated = await sql<{ code: string; activates_at: Date; expires_at: Date | null }>`
    update coupons
    set customer_id = ${input.customerId}, issued_at = ${input.at},
      activates_at = ${window.activatesAt}, expires_at = ${window.expiresAt}::timestamptz
    where id = ${coupon.id}
    returning code, activates_at, expires_at`.execute(trx);
  return toIssued(issue, updated.rows[0]!);
}
