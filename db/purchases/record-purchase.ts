import { sql, type Insertable } from 'kysely';
import type { AuditRecord } from '../audit';
import type { Trx } from '../ledger/store';
import type { PurchaseLineTable, PurchaseTable } from '../schema-purchases';

/** A purchase line as the purchase records it; the purchase, customer, store and time come from the purchase. */
export type RecordedLine = Omit<
  Insertable<PurchaseLineTable>,
  'purchase_id' | 'customer_id' | 'store_id' | 'occurred_at' | 'returned_quantity'
>;

/**
 * Writes a confirmed purchase, its lines and its audit record in one statement (data-modifying CTEs),
 * so the till's confirm spends one round trip on them, not three; the same round trip reads the
 * coupons the check holds (those its calculate and this confirm reserved), which the confirm settles.
 * Answers the purchase's id and those codes, or undefined when the store recorded this externalRef
 * already: then nothing is written. `moved`: the purchase's points account is no longer the one its
 * customer's operations use (merged, pooled or gone since the caller resolved it).
 */
export async function recordPurchase(
  trx: Trx,
  input: {
    purchase: Insertable<PurchaseTable>;
    lines: RecordedLine[];
    audit: Omit<AuditRecord, 'programId' | 'subject' | 'occurredAt'>;
    /** The check's coupon holder (purchase-coupons.ts `couponHolder`). */
    holder: string;
  },
): Promise<{ id: number; held: string[]; moved: boolean } | undefined> {
  const { purchase } = input;
  const row = await trx
    .with('p', (db) =>
      db
        .insertInto('purchases')
        .values(purchase)
        // One purchase per till check: a second confirm of it waits on the first's row, then finds it.
        .onConflict((oc) => oc.columns(['store_id', 'external_ref']).doNothing())
        .returning('id'),
    )
    .with('l', (db) =>
      db
        .insertInto('purchase_lines')
        .columns([
          'purchase_id',
          'customer_id',
          'store_id',
          'occurred_at',
          'line',
          'sku',
          'category',
          'brand',
          'supplier',
          'unit_price',
          'quantity',
          'weighted',
          'final_amount',
          'excluded',
        ])
        .expression(
          sql`select p.id, ${purchase.customer_id}::bigint, ${purchase.store_id}::bigint,
            ${purchase.occurred_at}::timestamptz, x.line, x.sku, x.category, x.brand, x.supplier,
            x.unit_price, x.quantity, x.weighted, x.final_amount, x.excluded
          from p, jsonb_to_recordset(${JSON.stringify(input.lines)}::jsonb) as x(line integer, sku text,
            category text[], brand text, supplier text, unit_price bigint, quantity integer,
            weighted boolean, final_amount bigint, excluded boolean)`,
        ),
    )
    .with('a', (db) =>
      db
        .insertInto('audit_log')
        .columns(['program_id', 'actor', 'action', 'subject', 'changes', 'occurred_at'])
        .expression(
          sql`select ${purchase.program_id}::bigint, ${input.audit.actor}::text, ${input.audit.action}::text,
            'purchase:' || p.id, ${JSON.stringify(input.audit.changes)}::jsonb,
            ${purchase.occurred_at}::timestamptz
          from p`,
        ),
    )
    .selectFrom('p')
    .select([
      'id',
      sql<string[]>`array(select c.code from coupon_uses u join coupons c on c.id = u.coupon_id
        where u.program_id = ${purchase.program_id} and u.holder = ${input.holder}
          and u.status in ('reserved', 'redeemed') order by c.code)`.as('held'),
      // Read after the caller locked the account, so a merge or pool join that committed meanwhile shows.
      sql<boolean>`${purchase.account_id}::bigint is not null and not exists (
        select from customers c join accounts a on a.id = ${purchase.account_id}::bigint
        where c.id = ${purchase.customer_id}::bigint and c.status in ('active', 'pending')
          and case when c.master_account_id is null then a.customer_id = c.id
            else a.master_account_id = c.master_account_id end)`.as('moved'),
    ])
    .executeTakeFirst();
  return row;
}
