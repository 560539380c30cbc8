import { describe, expect, it } from 'vitest';
import { fillLines } from '../../db/catalogue/fill-lines';
import { useApiFixture } from '../../test/support/api-fixture';
import { apiGet } from '../../test/support/api-requests';

const api = useApiFixture('catalogue');
const call = (url: string, payload: object, token?: string) =>
  api.call(url, payload, { token: token ?? api.demo.backOfficeApiKey });

const product = (i: number) => ({
  sku: `SKU-${String(i).padStart(5, '0')}`,
  name: `Product ${i}`,
  category: ['grocery', i % 2 === 0 ? 'dairy' : 'bakery'],
  brand: `brand-${i % 7}`,
  supplier: `supplier-${i % 3}`,
});
const productCount = async () =>
  Number(
    (
      await api.t.db
        .selectFrom('products')
        .select((eb) => eb.fn.countAll().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('product catalogue', () => {
  it('loads 10 000 products in one call, then changes only what changed', async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => product(i));
    const started = Date.now();
    const loaded = await call('/v1/products/bulk', { items });
    expect(loaded.statusCode).toBe(200);
    expect(loaded.json()).toEqual({ created: 10_000, updated: 0, unchanged: 0 });
    expect(Date.now() - started).toBeLessThan(15_000);
    const before = await api.t.db
      .selectFrom('products')
      .select('updated_at')
      .where('sku', '=', 'SKU-00001')
      .executeTakeFirstOrThrow();

    const changed = items
      .slice(0, 9_999)
      .map((item, i) => (i < 100 ? { ...item, name: `${item.name} (new)` } : item));
    changed.push(product(10_000));
    const again = await call('/v1/products/bulk', { items: changed });
    expect(again.json()).toEqual({ created: 1, updated: 100, unchanged: 9_899 });
    const untouched = await api.t.db
      .selectFrom('products')
      .select('updated_at')
      .where('sku', '=', 'SKU-09998')
      .executeTakeFirstOrThrow();
    expect(untouched.updated_at).toEqual(before.updated_at);
    expect(await productCount()).toBe(10_001);
  });

  it('answers a product by SKU and 404 for an unknown one', async () => {
    const found = await apiGet(api, '/v1/products/SKU-00002');
    expect(found.statusCode).toBe(200);
    expect(found.json()).toMatchObject({
      sku: 'SKU-00002',
      name: 'Product 2 (new)',
      category: ['grocery', 'dairy'],
      brand: 'brand-2',
      supplier: 'supplier-2',
      noRedemption: false,
    });
    const missing = await apiGet(api, '/v1/products/NOPE');
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error).toMatchObject({ code: 'product_not_found', field: 'sku' });
    expect((await apiGet(api, '/v1/products/SKU-00002', api.demo.tillApiKey)).statusCode).toBe(403);
  });

  it('refuses a bad item or a SKU given twice, naming it, and writes nothing', async () => {
    const bad = await call('/v1/products/bulk', {
      items: [product(20_000), { ...product(20_001), name: '' }],
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.field).toBe('body.items.1.name');
    const twice = await call('/v1/products/bulk', {
      items: [product(20_000), product(20_001), { ...product(20_000), name: 'again' }],
    });
    expect(twice.statusCode).toBe(422);
    expect(twice.json().error).toMatchObject({ code: 'duplicate_sku', field: 'items.2.sku' });
    const tooMany = await call('/v1/products/bulk', {
      items: Array.from({ length: 10_001 }, (_, i) => ({ sku: `X${i}`, name: 'x' })),
    });
    expect(tooMany.statusCode).toBe(400);
    expect(tooMany.json().error.field).toBe('body.items');
    expect(await productCount()).toBe(10_001);
    const till = await call('/v1/products/bulk', { items: [product(1)] }, api.demo.tillApiKey);
    expect(till.statusCode).toBe(403);
  });

  it('fills what a till omitted from the catalogue; what the till sent wins, but not over noRedemption', async () => {
    await call('/v1/products/bulk', {
      items: [{ sku: 'CIG-1', name: 'Cigarettes', category: ['tobacco'], noRedemption: true }],
    });
    const filled = await fillLines(api.t.db, api.demo.programId, [
      { sku: 'SKU-00003', quantity: 2, unitPrice: 100 },
      { sku: 'SKU-00004', name: 'Till name', category: ['till', 'path'], brand: 'own', quantity: 1 },
      { sku: 'CIG-1', noRedemption: false, quantity: 1 },
      { sku: 'UNKNOWN', quantity: 1 },
    ]);
    expect(filled).toEqual([
      {
        sku: 'SKU-00003',
        quantity: 2,
        unitPrice: 100,
        name: 'Product 3 (new)',
        category: ['grocery', 'bakery'],
        brand: 'brand-3',
        supplier: 'supplier-0',
        noRedemption: false,
      },
      {
        sku: 'SKU-00004',
        quantity: 1,
        name: 'Till name',
        category: ['till', 'path'],
        brand: 'own',
        supplier: 'supplier-1',
        noRedemption: false,
      },
      { sku: 'CIG-1', quantity: 1, name: 'Cigarettes', category: ['tobacco'], noRedemption: true },
      { sku: 'UNKNOWN', quantity: 1, name: '', category: [], noRedemption: false },
    ]);
    expect(await fillLines(api.t.db, api.demo.programId, [])).toEqual([]);
    expect(await fillLines(api.t.db, api.demo.programId + 1, [{ sku: 'CIG-1' }])).toEqual([
      { sku: 'CIG-1', name: '', category: [], noRedemption: false },
    ]);
  });
});
