import { z } from 'zod';
import { getProduct, upsertProducts } from '../../db/catalogue/products';
import {
  maxProductsPerCall,
  storedProductSchema,
  upsertProductsResultSchema,
  upsertProductsSchema,
} from '../../engine/contracts/catalogue';
import { actorOf } from '../auth';
import { mutation } from '../idempotent-route';
import { read } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** The product catalogue: SKU → name, category path, brand, supplier, no-redemption flag. */
export function registerCatalogueRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/products/bulk',
    changesCachedReads: true,
    scope: 'catalogue:write',
    summary: `Create or replace up to ${maxProductsPerCall.toLocaleString('en')} products by SKU`,
    description:
      'All or nothing, in one transaction. Purchases fill the attributes a till omits from these products.',
    body: upsertProductsSchema,
    response: upsertProductsResultSchema,
    bodyLimit: 16 * 1_048_576,
    run: (trx, body, principal) =>
      upsertProducts(trx, {
        programId: principal.programId,
        actor: actorOf(principal),
        items: body.items,
      }),
  });

  read(app, deps, {
    url: '/v1/products/:sku',
    scope: 'catalogue:read',
    summary: 'A product by SKU',
    params: z.object({ sku: z.string().min(1).max(100) }),
    response: storedProductSchema,
    run: ({ params }, principal) => getProduct(deps.db, principal.programId, params.sku),
  });
}
