import { sql, type Kysely } from 'kysely';
import type { Product, StoredProduct, UpsertProductsResult } from '../../engine/contracts/catalogue';
import { DomainError } from '../../engine/errors';
import { recordAudit } from '../audit';
import type { Database } from '../schema';

/** Rows per INSERT … ON CONFLICT: 7 parameters a row stays far below PostgreSQL's 65 535. */
const chunkSize = 1000;

/**
 * Creates or replaces products by SKU, one statement per chunk of 1 000, in the caller's transaction.
 * Rows whose values are unchanged are left alone (their `updated_at` too). Rows are written in SKU
 * order so that concurrent bulk loads lock them in one order. A SKU given twice is refused (`items.N.sku`).
 */
export async function upsertProducts(
  trx: Kysely<Database>,
  input: { programId: number; actor: string; items: readonly Product[] },
): Promise<UpsertProductsResult> {
  const firstIndex = new Map<string, number>();
  input.items.forEach((item, i) => {
    if (firstIndex.has(item.sku)) {
      throw new DomainError(
        'duplicate_sku',
        `SKU "${item.sku}" is also item ${firstIndex.get(item.sku)}`,
        422,
        `items.${i}.sku`,
      );
    }
    firstIndex.set(item.sku, i);
  });
  const sorted = [...input.items].sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0));
  const result: UpsertProductsResult = { created: 0, updated: 0, unchanged: 0 };
  for (let start = 0; start < sorted.length; start += chunkSize) {
    const chunk = sorted.slice(start, start + chunkSize);
    const rows = await trx
      .insertInto('products')
      .values(
        chunk.map((item) => ({
          program_id: input.programId,
          sku: item.sku,
          name: item.name,
          category: item.category,
          brand: item.brand ?? null,
          supplier: item.supplier ?? null,
          no_redemption: item.noRedemption,
        })),
      )
      .onConflict((oc) =>
        oc
          .columns(['program_id', 'sku'])
          .doUpdateSet({
            name: (eb) => eb.ref('excluded.name'),
            category: (eb) => eb.ref('excluded.category'),
            brand: (eb) => eb.ref('excluded.brand'),
            supplier: (eb) => eb.ref('excluded.supplier'),
            no_redemption: (eb) => eb.ref('excluded.no_redemption'),
            updated_at: sql`now()`,
          })
          .where(
            sql<boolean>`(products.name, products.category, products.brand, products.supplier, products.no_redemption)
              is distinct from (excluded.name, excluded.category, excluded.brand, excluded.supplier, excluded.no_redemption)`,
          ),
      )
      .returning(sql<boolean>`xmax = 0`.as('created'))
      .execute();
    const created = rows.filter((r) => r.created).length;
    result.created += created;
    result.updated += rows.length - created;
    result.unchanged += chunk.length - rows.length;
  }
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'catalogue.upsert',
    subject: `program:${input.programId}`,
    changes: { items: input.items.length, ...result },
    occurredAt: new Date(),
  });
  return result;
}

export async function getProduct(
  db: Kysely<Database>,
  programId: number,
  sku: string,
): Promise<StoredProduct> {
  const row = await db
    .selectFrom('products')
    .select(['sku', 'name', 'category', 'brand', 'supplier', 'no_redemption', 'updated_at'])
    .where('program_id', '=', programId)
    .where('sku', '=', sku)
    .executeTakeFirst();
  if (!row) throw new DomainError('product_not_found', `no product with SKU "${sku}"`, 404, 'sku');
  return {
    sku: row.sku,
    name: row.name,
    category: row.category,
    brand: row.brand,
    supplier: row.supplier,
    noRedemption: row.no_redemption,
    updatedAt: row.updated_at.toISOString(),
  };
}
