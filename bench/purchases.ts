import { sql } from 'kysely';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { seedDemoProgram } from '../db/demo-program';
import type { DB } from '../db/database';
import { createRuleSet, publishRuleSet } from '../db/promotions/rule-sets';
import { buildApiServer } from '../api/server';
import { createLogger } from '../platform/logger';
import type { TillLoad } from './till-load';
import type { measure } from './stats';

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

/** Runs the tills of `load` in a process of their own and answers what they measured. */
function tills(load: TillLoad): Promise<Awaited<ReturnType<typeof measure>>> {
  return new Promise((resolve, reject) => {
    const child = fork(fileURLToPath(new URL('./till-load.ts', import.meta.url)), {
      execArgv: ['--import', 'tsx'],
    });
    child.once('message', (result) => resolve(result as Awaited<ReturnType<typeof measure>>));
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the till load generator exited with ${code}`)));
    child.send(load);
  });
}

export async function benchPurchases(db: DB, clientCounts: number[], durationMs: number) {
  const demo = (await seedDemoProgram(db))!;
  // Tills here are load generators: lift the per-key rate limit out of the way.
  await db.updateTable('api_keys').set({ rate_per_minute: 600_000, rate_burst: 100_000 }).execute();
  // The tills replay one fixed business time (a weekday at 11:30, in happy hours), so every run meets
  // the same rules: the program's window reaches back to it.
  await db
    .updateTable('programs')
    .set({
      settings: sql`settings || ${JSON.stringify({ businessTimes: { pastDays: 3660, futureMinutes: 15 } })}::jsonb`,
    })
    .where('id', '=', demo.programId)
    .execute();
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
    messaging: {
      secret: 'bench-secret-bench-secret-bench-secret',
      apiUrl: 'http://127.0.0.1',
      defaultChannels: ['sms', 'email'],
    },
    webUrl: 'http://127.0.0.1',
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
  const customers: { kind: 'phone'; value: string }[] = [];
  for (let i = 0; i < Math.max(...clientCounts); i += 1) {
    const phone = `+7916${String(2_000_000 + i).padStart(7, '0')}`;
    await post('/v1/customers', { channel: 'till', registeredAt: '2026-01-01T10:00:00Z', phone });
    customers.push({ kind: 'phone', value: phone });
  }
  try {
    const results = [];
    let firstCheck = 0;
    for (const clients of clientCounts) {
      const load: TillLoad = {
        base,
        apiKey: demo.tillApiKey,
        customers,
        clients,
        durationMs,
        firstCheck,
        skus,
        categories,
      };
      // The API runs in this process: its CPU time over the run, per purchase.
      const cpu = process.cpuUsage();
      const result = await tills(load);
      const { user, system } = process.cpuUsage(cpu);
      firstCheck += result.ops + clients;
      results.push({ clients, ...result, apiCpuMs: (user + system) / 1000 / result.ops });
    }
    return results;
  } finally {
    await app.close();
  }
}
