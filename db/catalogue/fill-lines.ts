import type { Kysely } from 'kysely';
import { cachePerFeed, type ChangeFeed } from '../change-feed';
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

/** What the catalogue holds of a SKU that a line may lack. */
interface ProductAttributes {
  name: string;
  category: string[];
  brand: string | null;
  supplier: string | null;
  no_redemption: boolean;
}

/** Products by (program, SKU), null for a SKU the catalogue lacks; dropped on any product change. */
const products = cachePerFeed<ProductAttributes | null>(['products'], 50_000);

const productKey = (programId: number, sku: string) => `${programId}:${sku}`;

/** The catalogue's attributes of `skus` of a program, null for those it lacks, in one query. */
async function readProducts(
  db: Kysely<Database>,
  programId: number,
  skus: readonly string[],
): Promise<Map<string, ProductAttributes | null>> {
  const rows =
    skus.length === 0
      ? []
      : await db
          .selectFrom('products')
          .select(['sku', 'name', 'category', 'brand', 'supplier', 'no_redemption'])
          .where('program_id', '=', programId)
          .where('sku', '=', (eb) => eb.fn.any(eb.val([...skus])))
          .execute();
  const bySku = new Map<string, ProductAttributes | null>(skus.map((sku) => [sku, null]));
  for (const { sku, ...product } of rows) bySku.set(sku, product);
  return bySku;
}

/**
 * Fills the attributes a till omitted (no name, an empty category path, no brand or supplier) from the
 * program's catalogue, with one query for all SKUs of the check (with `feed`, the API process's, only
 * for those its cache lacks, known or not; a product upsert empties it before the next call). What the
 * till sent wins, except that a product the catalogue marks `noRedemption` stays so (a till cannot lift
 * that restriction). Lines of unknown SKUs keep what they have.
 */
export async function fillLines<L extends LineAttributes>(
  db: Kysely<Database>,
  programId: number,
  lines: readonly L[],
  feed?: ChangeFeed,
): Promise<FilledLine<L>[]> {
  const skus = [...new Set(lines.map((l) => l.sku))];
  let bySku: Map<string, ProductAttributes | null>;
  if (feed) {
    const cached = await products(feed).getMany(
      skus.map((sku) => productKey(programId, sku)),
      async (keys) => {
        const read = await readProducts(
          db,
          programId,
          keys.map((key) => key.slice(key.indexOf(':') + 1)),
        );
        return new Map([...read].map(([sku, product]) => [productKey(programId, sku), product]));
      },
    );
    bySku = new Map(skus.map((sku) => [sku, cached.get(productKey(programId, sku)) ?? null]));
  } else {
    bySku = await readProducts(db, programId, skus);
  }
  return lines.map((line) => {
    const product = bySku.get(line.sku);
    const brand = line.brand ?? product?.brand ?? undefined;
    const supplier = line.supplier ?? product?.supplier ?? undefined;
    return {
      ...line,
      name: line.name || product?.name || '',
      // A copy: the cached product's path is shared by every call.
      category: line.category?.length ? line.category : [...(product?.category ?? [])],
      ...(brand !== undefined ? { brand } : {}),
      ...(supplier !== undefined ? { supplier } : {}),
      noRedemption: product?.no_redemption === true || line.noRedemption === true,
    };
  });
}
