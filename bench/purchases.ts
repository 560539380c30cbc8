import { seedDemoProgram } from '../db/demo-program';
import type { DB } from '../db/database';
import { createRuleSet, publishRuleSet } from '../db/promotions/rule-sets';
import { buildApiServer } from '../api/server';
import { RecordingCodeSender } from '../engine/customers/one-time-code-sender';
import { createLogger } from '../platform/logger';
import { measure } from './stats';

/**
 * The till's round trip over HTTP: `calculate` then `confirm` of a 5-line check against 100 active
 * rules, each client a till with its own customer, against the API on one PostgreSQL.
 */

const skus = 200;
const categories = ['dairy', 'bakery', 'drinks', 'snacks', 'fruit'];

/** 100 rules: targeted discounts competing per line, earning by tier, a cap, happy hours, a 3-for-2. */
function rules() {
  const out: object[] = [
    {
      id: 'base',
      name: 'Base 5 %',
      benefit: { kind: 'earn', bps: 500 },
      conflict: { group: 'earn', mode: 'max' },
    },
    {
      id: 'gold',
      name: 'Gold 10 %',
      condition: { type: 'tier', tiers: ['gold'] },
      benefit: { kind: 'earn', bps: 1000 },
      conflict: { group: 'earn', mode: 'max' },
    },
    { id: 'cap', name: 'At most 30 % with points', benefit: { kind: 'redeemCap', bps: 3000 } },
    {
      id: 'happy',
      name: 'Happy hours ×2',
      schedule: { weekdays: [1, 2, 3, 4, 5], windows: [{ from: '10:00', to: '13:00' }] },
      benefit: { kind: 'multiplier', ruleIds: ['base', 'gold'], factorBps: 20_000 },
    },
    {
      id: '3for2',
      name: '3 for 2 on drinks',
      target: { categories: [['drinks']] },
      benefit: { kind: 'mForN', buy: 3, pay: 2 },
    },
  ];
  for (let i = out.length; i < 100; i += 1) {
    out.push({
      id: `promo-${i}`,
      name: `Promotion ${i}`,
      target:
        i % 3 === 0
          ? { categories: [[categories[i % categories.length]!]] }
          : { skus: [`sku-${(i * 7) % skus}`] },
      benefit: { kind: 'percent', bps: 100 * (1 + (i % 20)) },
      conflict: { group: 'item', mode: 'max', scope: 'line' },
    });
  }
  return out;
}

export async function benchPurchases(db: DB, clientCounts: number[], durationMs: number) {
  const demo = (await seedDemoProgram(db))!;
  // Tills here are load generators: lift the per-key rate limit out of the way.
  await db.updateTable('api_keys').set({ rate_per_minute: 600_000, rate_burst: 100_000 }).execute();
  await db.transaction().execute(async (trx) => {
    const actor = { programId: demo.programId, actor: 'bench' };
    const draft = await createRuleSet(trx, { ...actor, rules: rules() });
    await publishRuleSet(trx, { ...actor, version: draft.version });
  });
  const app = await buildApiServer({
    db,
    log: createLogger('bench-api', 'warn'),
    temporalAddress: '127.0.0.1:1',
    secret: 'bench-secret-bench-secret-bench-secret',
    codeSender: new RecordingCodeSender(),
  });
  const base = await app.listen({ host: '127.0.0.1', port: 0 });
  let seq = 0;
  const post = async (url: string, body: object) => {
    const response = await fetch(`${base}${url}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${demo.tillApiKey}`,
        'content-type': 'application/json',
        'idempotency-key': `bench-key-${(seq += 1)}`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${url} ${response.status}: ${text}`);
    return JSON.parse(text) as Record<string, unknown>;
  };
  const tills = Math.max(...clientCounts);
  const customers: { kind: 'phone'; value: string }[] = [];
  for (let i = 0; i < tills; i += 1) {
    const phone = `+7916${String(2_000_000 + i).padStart(7, '0')}`;
    await post('/v1/customers', { channel: 'till', registeredAt: '2026-01-01T10:00:00Z', phone });
    customers.push({ kind: 'phone', value: phone });
  }
  const lines = (n: number) =>
    Array.from({ length: 5 }, (_, k) => {
      const sku = (n * 5 + k) % skus;
      return {
        sku: `sku-${sku}`,
        unitPrice: 5_000 + 100 * sku,
        quantity: 1 + (k % 3),
        category: [categories[sku % 5]!],
      };
    });
  let checks = 0;
  const purchase = async (client: number) => {
    const n = (checks += 1);
    const body = { customer: customers[client], occurredAt: '2026-11-25T11:30:00+03:00', lines: lines(n) };
    await post('/v1/purchases/calculate', body);
    await post('/v1/purchases/confirm', { ...body, externalRef: `bench-${n}` });
  };
  try {
    const results = [];
    for (const clients of clientCounts) {
      results.push({ clients, ...(await measure(clients, durationMs, (client) => purchase(client))) });
    }
    return results;
  } finally {
    await app.close();
  }
}
