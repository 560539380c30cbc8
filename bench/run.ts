import { benchCardPool } from './card-pool';
import { benchCoupons } from './coupons';
import { benchLedger, benchLedgerHistory } from './ledger';
import { pgbenchTps } from './pgbench';
import { benchPricing } from './pricing';
import { benchPurchases } from './purchases';
import { scratchDatabase } from './scratch-database';
import { benchSegments, segmentBenchOptions } from './segments';
import { table } from './stats';

/**
 * `npm run bench`: figures for the targets the issues set, on a throw-away embedded PostgreSQL.
 * BENCH_SECONDS sets the length of each throughput run (default 5).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
console.log('Pricing: a 50-line check against N active rules (95 % targeted, 5 % global), one core');
const pricing = benchPricing([200, 2_000, 20_000], 1000);
console.log(
  table(
    ['rules', 'candidates', 'applied', 'median ms', 'p99 ms', 'growth vs previous'],
    pricing.map((r, i) => [
      r.rules,
      r.candidates,
      r.applied,
      r.median.toFixed(3),
      r.p99.toFixed(3),
      i === 0 ? '' : `×${(r.median / pricing[i - 1]!.median).toFixed(2)}`,
    ]),
  ),
);
console.log('goal: median < 1 ms at 20 000 rules, < 2× from 2 000 to 20 000\n');

const scratch = await scratchDatabase();
try {
  console.log(`Ledger operations (accrue/spend alternating, one transaction each), ${seconds} s per row`);
  const clientCounts = [1, 4, 16];
  const ledger = await benchLedger(scratch.db, clientCounts, seconds * 1000);
  const pgbench = pgbenchTps((await scratch.another('pgbench')).url, clientCounts, seconds);
  console.log(
    table(
      [
        'clients',
        'own acct ops/s',
        'p50 ms',
        'p99 ms',
        'one acct ops/s',
        'p50 ms',
        'p99 ms',
        'pgbench TPS',
        'own/pgbench',
      ],
      ledger.map((r) => {
        const tps = pgbench?.get(r.clients);
        return [
          r.clients,
          r.own.perSecond.toFixed(0),
          r.own.p50.toFixed(2),
          r.own.p99.toFixed(2),
          r.shared.perSecond.toFixed(0),
          r.shared.p50.toFixed(2),
          r.shared.p99.toFixed(2),
          tps ? tps.toFixed(0) : 'n/a',
          tps ? (r.own.perSecond / tps).toFixed(2) : 'n/a',
        ];
      }),
    ),
  );
  const [one, , sixteen] = ledger;
  console.log(`scaling 1 → 16 clients: ×${(sixteen!.own.perSecond / one!.own.perSecond).toFixed(2)}`);

  const history = await benchLedgerHistory(
    (await scratch.another('ledger_history')).db,
    3_000,
    seconds * 1000,
  );
  console.log(
    `\nLedger operations at about now on an account with ${history.pairs} accrue+spend pairs of history, one client`,
  );
  console.log(
    table(
      ['account', 'ops/s', 'p50 ms', 'p99 ms'],
      [
        [
          'fresh',
          history.fresh.perSecond.toFixed(0),
          history.fresh.p50.toFixed(2),
          history.fresh.p99.toFixed(2),
        ],
        [
          'long history',
          history.long.perSecond.toFixed(0),
          history.long.p50.toFixed(2),
          history.long.p99.toFixed(2),
        ],
      ],
    ),
  );
  console.log('goal: long history within 1.5× of fresh');

  console.log(
    `\nPurchases over HTTP: calculate + confirm of a 5-line check, 100 active rules, ${seconds} s per row`,
  );
  const purchases = await benchPurchases(
    (await scratch.another('purchases')).db,
    clientCounts,
    seconds * 1000,
  );
  console.log(
    table(
      ['clients', 'purchases/s', 'p50 ms', 'p99 ms', 'API CPU ms each', 'pgbench TPS', 'ratio'],
      purchases.map((r) => {
        const tps = pgbench?.get(r.clients);
        return [
          r.clients,
          r.perSecond.toFixed(0),
          r.p50.toFixed(2),
          r.p99.toFixed(2),
          r.apiCpuMs.toFixed(2),
          tps ? tps.toFixed(0) : 'n/a',
          tps ? (r.perSecond / tps).toFixed(2) : 'n/a',
        ];
      }),
    ),
  );
  console.log('goal at 16 clients: at least half of pgbench TPS and p99 ≤ 25 ms');

  console.log('\nCard pool: 1 M numbers generated and written with the unique index (target < 20 s)');
  const pool = await benchCardPool(scratch.url);
  console.log(
    table(
      ['numbers', 'generate ms', 'generate+write ms', 'target ratio'],
      [[pool.numbers, pool.generateMs, pool.writeMs, `${(pool.writeMs / 20_000).toFixed(2)} of 20 s`]],
    ),
  );

  console.log(
    '\nCoupon codes: 1 M generated (with the offline check) and written with the unique index (target < 10 s)',
  );
  const coupons = await benchCoupons((await scratch.another('coupons')).db);
  console.log(
    table(
      ['codes', 'ms', 'target ratio'],
      [[coupons.codes, coupons.ms, `${(coupons.ms / 10_000).toFixed(2)} of 10 s`]],
    ),
  );

  const segmentOptions = segmentBenchOptions();
  console.log(
    `\nSegments: ${segmentOptions.customers} customers generated, counts of ten definitions through the compiler beside the best hand SQL (median of ${segmentOptions.runs}), a full recompute and the incremental refresh after one purchase`,
  );
  await benchSegments((await scratch.another('segments')).db, segmentOptions);
  await (await import('./messaging')).messagingSection(await scratch.another('messaging'));
} finally {
  await scratch.stop();
}
