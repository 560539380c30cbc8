import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** What a till sends of a check line; any attribute but the SKU may be missing. */
export interface LineAttributes {
  sku: string;
  name?: string | undefined;
  category?: string[] | undefined;
  brand?: string | undefined;
  supplier?: string | undefined;
  noRedemption?: boolean | undefined;
}

export type FilledLine<L extends LineAttributes> = Omit<L, 'name' | 'category' | 'noRedemption'> & {
  name: string;
  category: string[];
  noRedemption: boolean;
};

/**
 * Fills the attributes a till omitted (no name, an empty category path, no brand or supplier) from the
 * program's catalogue, with one query for all SKUs of the check. What the till sent wins, except that
 * a product the catalogue marks `noRedemption` stays so (a till cannot lift that restriction). Lines
 * of unknown SKUs keep what they have.
 */
export async function fillLines<L extends LineAttributes>(
  db: Kysely<Database>,
  programId: number,
  lines: readonly L[],
): Promise<FilledLine<L>[]> {
  const skus = [...new Set(lines.map((l) => l.sku))];
  const rows =
    skus.length === 0
      ? []
      : await db
          .selectFrom('products')
          .select(['sku', 'name', 'category', 'brand', 'supplier', 'no_redemption'])
          .where('program_id', '=', programId)
          .where('sku', '=', (eb) => eb.fn.any(eb.val(skus)))
          .execute();
  const bySku = new Map(rows.map((r) => [r.sku, r]));
  return lines.map((line) => {
    const product = bySku.get(line.sku);
    const brand = line.brand ?? product?.brand ?? undefined;
    const supplier = line.supplier ?? product?.supplier ?? undefined;
    return {
      ...line,
      name: line.name || product?.name || '',
      category: line.category?.length ? line.category : (product?.category ?? []),
      ...(brand !== undefined ? { brand } : {}),
      ...(supplier !== undefined ? { supplier } : {}),
      noRedemption: product?.no_redemption === true || line.noRedemption === true,
    };
  });
}
