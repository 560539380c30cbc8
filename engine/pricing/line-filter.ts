import { z } from 'zod';
import type { CheckLine } from './check';

const id = z.string().min(1).max(100);
const money = z.int().min(0).max(1_000_000_000_000);
const ids = z.array(id).min(1).max(10_000);

/**
 * Which lines of a check: every criterion given must hold (AND), any value of a list may match (OR).
 * `categories` are category-path prefixes: ["dairy"] matches ["dairy","milk"]. Price bands compare the
 * line's unit price (per piece, or per kg for weighted goods) before discounts. An empty filter matches
 * every line.
 */
export const lineFilterSchema = z
  .object({
    skus: ids.optional(),
    categories: z
      .array(z.array(z.string().min(1).max(200)).min(1).max(20))
      .min(1)
      .max(1000)
      .optional(),
    brands: ids.optional(),
    suppliers: ids.optional(),
    minUnitPrice: money.optional(),
    maxUnitPrice: money.optional(),
    excludeSkus: ids.optional(),
  })
  .strict();
export type LineFilter = z.infer<typeof lineFilterSchema>;

export function matchesFilter(filter: LineFilter | undefined, line: CheckLine): boolean {
  if (!filter) return true;
  if (filter.skus && !filter.skus.includes(line.sku)) return false;
  if (filter.excludeSkus?.includes(line.sku)) return false;
  if (filter.categories && !filter.categories.some((p) => p.every((c, i) => line.category[i] === c))) {
    return false;
  }
  if (filter.brands && (line.brand === undefined || !filter.brands.includes(line.brand))) return false;
  if (filter.suppliers && (line.supplier === undefined || !filter.suppliers.includes(line.supplier))) {
    return false;
  }
  if (filter.minUnitPrice !== undefined && line.unitPrice < filter.minUnitPrice) return false;
  if (filter.maxUnitPrice !== undefined && line.unitPrice > filter.maxUnitPrice) return false;
  return true;
}
