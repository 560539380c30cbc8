import { z } from 'zod';

/** The product catalogue: what a till may omit from a check line, filled in by SKU. */

const text = z.string().trim().min(1).max(100);

export const productSchema = z
  .object({
    sku: z.string().min(1).max(100),
    name: z.string().trim().min(1).max(300),
    /** Category path from the root, e.g. ["dairy", "milk"]. */
    category: z.array(z.string().min(1).max(200)).max(20).default([]),
    brand: text.nullish(),
    supplier: text.nullish(),
    /** The product may never be paid with points (tobacco, alcohol, gift cards …). */
    noRedemption: z.boolean().default(false),
  })
  .strict();
export type Product = z.infer<typeof productSchema>;

export const maxProductsPerCall = 10_000;

export const upsertProductsSchema = z
  .object({ items: z.array(productSchema).min(1).max(maxProductsPerCall) })
  .strict();

export const upsertProductsResultSchema = z.object({
  created: z.number().int(),
  updated: z.number().int(),
  unchanged: z.number().int(),
});
export type UpsertProductsResult = z.infer<typeof upsertProductsResultSchema>;

export const storedProductSchema = z.object({
  sku: z.string(),
  name: z.string(),
  category: z.array(z.string()),
  brand: z.string().nullable(),
  supplier: z.string().nullable(),
  noRedemption: z.boolean(),
  updatedAt: z.string(),
});
export type StoredProduct = z.infer<typeof storedProductSchema>;
