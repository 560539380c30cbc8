import { sql, type Kysely } from 'kysely';
import { codePatternSchema } from '../../engine/coupons/code-pattern';
import type { TillConfig } from '../../engine/coupons/coupon-contracts';
import type { Database } from '../schema';
import { programTillKey } from './coupon-issues';

/**
 * What a till needs to take coupons offline: the program's till key and each issue's pattern (codes
 * of an issue with an offline check are verified by `verifyOfflineCheck`), and the coupons whose
 * validity changed since the till's cursor — imported codes (no offline check possible) from their
 * import, any code once redeemed or restored.
 *
 * The cursor is (transaction, coupon id) of coupons.changed_xid. Only changes of transactions older
 * than every running one are answered: a change committing late then still comes after the cursor,
 * never behind it. The price: a long-running transaction holds the list back until it ends.
 */
export async function tillConfig(
  db: Kysely<Database>,
  input: { programId: number; since?: string; limit: number },
): Promise<TillConfig> {
  const tillKey = await programTillKey(db, input.programId);
  const issues = await db
    .selectFrom('coupon_issues')
    .select([
      'code',
      'name',
      'kind',
      'pattern',
      'max_uses_total',
      'max_uses_per_customer',
      'activation_delay_seconds',
      'lifetime_seconds',
    ])
    .where('program_id', '=', input.programId)
    .orderBy('id')
    .execute();

  const [sinceXid, sinceId] = (input.since ?? '0.0').split('.');
  const rows = await db
    .selectFrom('coupons as c')
    .innerJoin('coupon_issues as i', 'i.id', 'c.issue_id')
    .select([
      'c.id',
      'c.code',
      'c.changed_xid',
      'c.status',
      'c.uses',
      'c.imported',
      'c.activates_at',
      'c.expires_at',
      'i.code as issue_code',
      'i.max_uses_total',
    ])
    .where('c.program_id', '=', input.programId)
    .where('c.changed_xid', 'is not', null)
    .where(sql<boolean>`(c.changed_xid, c.id) > (${sinceXid}::bigint, ${sinceId}::bigint)`)
    .where(sql<boolean>`c.changed_xid < pg_snapshot_xmin(pg_current_snapshot())::text::bigint`)
    .orderBy('c.changed_xid')
    .orderBy('c.id')
    .limit(input.limit + 1)
    .execute();
  const page = rows.slice(0, input.limit);
  const last = page.at(-1);

  return {
    programId: input.programId,
    tillKey: tillKey.toString('base64'),
    issues: issues.map((issue) => {
      const pattern = codePatternSchema.parse(issue.pattern);
      return {
        code: issue.code,
        name: issue.name,
        kind: issue.kind,
        pattern,
        offlineCheck: pattern.checkLength > 0,
        maxUsesTotal: issue.max_uses_total,
        maxUsesPerCustomer: issue.max_uses_per_customer,
        activationDelaySeconds: issue.activation_delay_seconds,
        lifetimeSeconds: issue.lifetime_seconds,
      };
    }),
    changes: {
      items: page.map((row) => ({
        code: row.code,
        issueCode: row.issue_code,
        valid:
          ['issued', 'active', 'reserved'].includes(row.status) &&
          (row.max_uses_total === null || row.uses < row.max_uses_total),
        status: row.status,
        imported: row.imported,
        activatesAt: row.activates_at?.toISOString() ?? null,
        expiresAt: row.expires_at?.toISOString() ?? null,
      })),
      next: last ? `${last.changed_xid}.${last.id}` : (input.since ?? null),
      more: rows.length > input.limit,
    },
  };
}
