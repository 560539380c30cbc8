import { sql, type Kysely, type RawBuilder } from 'kysely';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { DB } from '../db/database';
import type { Database } from '../db/schema';
import {
  conditionPredicate,
  eligibleCustomers,
  programVocabulary,
  recomputeSegment,
  refreshQueuedCustomers,
  segmentClock,
} from '../db/segments';
import { type Condition, definitionIssues, segmentDefinitionSchema } from '../engine/segments';
import { generateSegmentData, storeCodes } from './segments-data';
import { segmentCases, type SegmentCase } from './segments-hand-sql';
import { scratchDatabase } from './scratch-database';
import { percentile, table } from './stats';

/**
 * Segments at a million customers (issue 13's benchmark): the count of each definition through the
 * compiler (db/segments/compile.ts) beside the fastest of several hand-written SQL shapes for the
 * same question, on the same database in the same run, interleaved; then the materialised
 * membership: a full recompute of every segment, and the incremental refresh after one purchase.
 *
 * Environment: BENCH_SEED (replay a run's data), BENCH_SEGMENT_CUSTOMERS (default 1 000 000),
 * BENCH_SEGMENT_RUNS (timed runs per shape after one warm-up, default 5), BENCH_SEGMENT_REFRESHES
 * (purchases of the incremental test, default 500). Run alone: `node --import tsx bench/segments.ts`.
 */

export interface SegmentBenchOptions {
  customers: number;
  seed: number;
  now: Date;
  runs: number;
  refreshes: number;
  /** Where EXPLAIN output goes. */
  explainFile: string;
}

export function segmentBenchOptions(): SegmentBenchOptions {
  return {
    customers: Number(process.env.BENCH_SEGMENT_CUSTOMERS ?? 1_000_000),
    seed: Number(process.env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 31)),
    // A fixed clock: the same seed gives the same members.
    now: new Date(process.env.BENCH_SEGMENT_NOW ?? '2026-12-01T09:00:00Z'),
    runs: Number(process.env.BENCH_SEGMENT_RUNS ?? 5),
    refreshes: Number(process.env.BENCH_SEGMENT_REFRESHES ?? 500),
    explainFile: fileURLToPath(new URL('../.data/segments-explain.txt', import.meta.url)),
  };
}

export interface ShapeTiming {
  label: string;
  count: number;
  warmMs: number;
  /** Median of the timed runs; the warm-up alone when the shape was too slow to repeat. */
  medianMs: number;
  repeated: boolean;
}

export interface CaseResult {
  code: string;
  name: string;
  members: number;
  compiled: ShapeTiming;
  /** The compiled query once more under a generic plan (as a prepared statement may settle on). */
  genericMs: number;
  hand: ShapeTiming[];
  best: ShapeTiming;
  ratio: number;
  countsEqual: boolean;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

async function timed(db: Kysely<Database>, query: () => RawBuilder<{ count: number }>) {
  const t0 = performance.now();
  const { rows } = await query().execute(db);
  return { ms: performance.now() - t0, count: Number(rows[0]!.count) };
}

/** A small seeded generator (mulberry32) for the incremental test's choices. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function benchSegments(db: DB, options: SegmentBenchOptions) {
  const log = (line: string) => console.log(line);
  log(
    `  seed ${options.seed} (BENCH_SEED=${options.seed} replays), ${options.customers} customers, clock ${options.now.toISOString()}`,
  );
  const t0 = performance.now();
  const data = await generateSegmentData(db, {
    customers: options.customers,
    seed: options.seed,
    now: options.now,
    log,
  });
  const generationMs = performance.now() - t0;
  log(
    `  generated ${data.customers} customers, ${data.purchases} purchases, ${data.lines} purchase lines, ${data.children} children in ${(generationMs / 1000).toFixed(1)} s`,
  );

  const { programId } = data;
  const { references, vocabulary, timeZone } = await programVocabulary(db, programId);
  const clock = segmentClock(options.now, timeZone);
  const moscowStores = [...(references.storeGroups.get('moscow') ?? [])];
  const cases = segmentCases({ programId, now: options.now, today: clock.today, moscowStores });
  const conditions = new Map<string, Condition>();
  for (const c of cases) {
    const parsed = segmentDefinitionSchema.parse({ code: c.code, name: c.code, condition: c.condition });
    const issues = definitionIssues(c.code, parsed.condition, vocabulary);
    if (issues.length) throw new Error(`definition ${c.code} is refused: ${JSON.stringify(issues)}`);
    conditions.set(c.code, parsed.condition);
  }
  const compiledQuery = (c: SegmentCase) => () =>
    sql<{ count: number }>`select count(*)::bigint as count from customers c
      where ${eligibleCustomers(programId)} and ${conditionPredicate(conditions.get(c.code)!, references, clock)}`;

  const results: CaseResult[] = [];
  const explain: string[] = [];
  await db.connection().execute(async (conn) => {
    // Each run planned for its values, as a one-off live count is; the generic plan is timed apart.
    await sql`set plan_cache_mode = force_custom_plan`.execute(conn);
    for (const c of cases) {
      const shapes = [
        { label: 'compiled', query: compiledQuery(c) },
        ...c.hand.map((h) => ({ label: h.label, query: () => h.query })),
      ];
      const warm: { ms: number; count: number }[] = [];
      for (const s of shapes) warm.push(await timed(conn, s.query));
      const bestWarm = Math.min(...warm.slice(1).map((w) => w.ms));
      // Shapes far slower than the best hand shape are timed by their warm-up alone.
      const repeat = shapes.map((_, i) => i === 0 || warm[i]!.ms <= 3 * bestWarm + 50);
      const samples: number[][] = shapes.map(() => []);
      for (let r = 0; r < options.runs; r += 1) {
        for (let k = 0; k < shapes.length; k += 1) {
          const i = (k + r) % shapes.length;
          if (!repeat[i]) continue;
          samples[i]!.push((await timed(conn, shapes[i]!.query)).ms);
        }
      }
      const timings: ShapeTiming[] = shapes.map((s, i) => ({
        label: s.label,
        count: warm[i]!.count,
        warmMs: warm[i]!.ms,
        medianMs: repeat[i] ? median(samples[i]!) : warm[i]!.ms,
        repeated: repeat[i]!,
      }));
      await sql`set plan_cache_mode = force_generic_plan`.execute(conn);
      const generic = await timed(conn, compiledQuery(c));
      await sql`set plan_cache_mode = force_custom_plan`.execute(conn);
      const [compiled, ...hand] = timings;
      const best = hand.reduce((a, b) => (b.medianMs < a.medianMs ? b : a));
      const countsEqual =
        timings.every((t) => t.count === compiled!.count) && generic.count === compiled!.count;
      const result: CaseResult = {
        code: c.code,
        name: c.name,
        members: compiled!.count,
        compiled: compiled!,
        genericMs: generic.ms,
        hand,
        best,
        ratio: compiled!.medianMs / best.medianMs,
        countsEqual,
      };
      results.push(result);
      log(
        `  ${c.code}: compiled ${compiled!.count} in ${compiled!.medianMs.toFixed(0)} ms; ` +
          hand
            .map((h) => `${h.label} ${h.count} in ${h.medianMs.toFixed(0)} ms${h.repeated ? '' : ' (1 run)'}`)
            .join('; '),
      );
      if (!countsEqual) log(`  !! ${c.code}: counts differ: ${JSON.stringify(c.condition)}`);
      if (result.ratio > 1.5) {
        const bestShape = c.hand.find((h) => h.label === best.label)!;
        const plans = [];
        for (const [label, query] of [
          ['compiled', compiledQuery(c)()],
          [`hand: ${best.label}`, bestShape.query],
        ] as const) {
          const { rows } = await sql<{ 'QUERY PLAN': string }>`explain (analyze, buffers) ${query}`.execute(
            conn,
          );
          plans.push(`--- ${label}\n${rows.map((r) => r['QUERY PLAN']).join('\n')}`);
        }
        explain.push(
          `=== ${c.code} (${c.name}): ratio ${result.ratio.toFixed(2)}\n${JSON.stringify(c.condition)}\n${plans.join('\n')}\n`,
        );
      }
    }
  });
  if (explain.length) {
    mkdirSync(fileURLToPath(new URL('.', `file://${options.explainFile}`)), { recursive: true });
    writeFileSync(options.explainFile, explain.join('\n'));
  }

  log(
    table(
      ['definition', 'members', 'compiled ms', 'hand SQL ms', 'ratio', 'generic plan ms', 'best hand shape'],
      results.map((r) => [
        r.code,
        r.members,
        r.compiled.medianMs.toFixed(0),
        r.best.medianMs.toFixed(0),
        `${r.ratio.toFixed(2)}${r.countsEqual ? '' : ' COUNTS DIFFER'}`,
        r.genericMs.toFixed(0),
        r.best.label,
      ]),
    ),
  );
  const over = results.filter((r) => r.ratio > 1.5);
  log(
    `goal: every definition within 1.5× of the best hand SQL: ${over.length ? `missed by ${over.map((r) => r.code).join(', ')} (plans in ${options.explainFile})` : 'met'}`,
  );
  log(
    `counts: ${results.every((r) => r.countsEqual) ? 'compiled = every hand shape, for every definition' : `DIFFER for ${results.filter((r) => !r.countsEqual).map((r) => r.code)}`}`,
  );

  const membership = await benchMembership(db, {
    programId,
    conditions,
    cases,
    now: options.now,
    refreshes: options.refreshes,
    seed: options.seed,
    expected: new Map(results.map((r) => [r.code, r.members])),
  });
  return { data, generationMs, results, membership };
}

/** Full recompute of every segment, then the incremental refresh after single purchases. */
async function benchMembership(
  db: DB,
  input: {
    programId: number;
    conditions: Map<string, Condition>;
    cases: SegmentCase[];
    now: Date;
    refreshes: number;
    seed: number;
    expected: Map<string, number>;
  },
) {
  const { programId, now } = input;
  const log = (line: string) => console.log(line);
  const segments = await db
    .insertInto('segments')
    .values(
      input.cases.map((c) => ({
        program_id: programId,
        code: c.code,
        name: c.name,
        version: 1,
        definition: JSON.stringify(input.conditions.get(c.code)),
      })),
    )
    .returning(['id', 'code'])
    .execute();

  const passes: { pass: string; rows: { code: string; ms: number; entered: number; members: number }[] }[] =
    [];
  for (const pass of ['first (all enter)', 'second (steady)']) {
    const rows = [];
    for (const s of segments) {
      const t0 = performance.now();
      const change = await recomputeSegment(db, { programId, segmentId: s.id, now });
      rows.push({
        code: s.code,
        ms: performance.now() - t0,
        entered: change.entered,
        members: change.members,
      });
    }
    passes.push({ pass, rows });
  }
  log(`\n  Full recompute of ${segments.length} segments over the program's customers`);
  log(
    table(
      ['segment', 'members', 'first ms', 'entered', 'second ms', 'count = compiled'],
      segments.map((s, i) => {
        const first = passes[0]!.rows[i]!;
        const second = passes[1]!.rows[i]!;
        return [
          s.code,
          first.members,
          first.ms.toFixed(0),
          first.entered,
          second.ms.toFixed(0),
          first.members === input.expected.get(s.code) ? 'yes' : `NO (${input.expected.get(s.code)})`,
        ];
      }),
    ),
  );
  const totals = passes.map((p) => p.rows.reduce((sum, r) => sum + r.ms, 0));
  log(
    `goal: a full recompute of the program's segments under a minute: first ${(totals[0]! / 1000).toFixed(1)} s, second ${(totals[1]! / 1000).toFixed(1)} s`,
  );

  // One purchase at a time for a random customer (the trigger queues them), then the refresher.
  await sql`delete from segment_refreshes`.execute(db);
  const random = prng(input.seed);
  const { rows: bounds } = await sql<{ lo: number; hi: number }>`
    select min(id)::bigint as lo, max(id)::bigint as hi from customers where program_id = ${programId}`.execute(
    db,
  );
  const { lo, hi } = bounds[0]!;
  const store = await db
    .selectFrom('stores as s')
    .innerJoin('partners as p', 'p.id', 's.partner_id')
    .select('s.id')
    .where('p.program_id', '=', programId)
    .where('s.code', '=', storeCodes[0])
    .executeTakeFirstOrThrow();
  const insertMs: number[] = [];
  const refreshMs: number[] = [];
  let entered = 0;
  let left = 0;
  for (let i = 0; i < input.refreshes; i += 1) {
    const customer = lo + Math.floor(random() * (hi - lo + 1));
    const amount = Math.round(120_000 * Math.exp(0.85 * (random() + random() + random() - 1.5) * 2));
    const at = new Date(now.getTime() - Math.floor(random() * 86_400_000));
    const t0 = performance.now();
    await db
      .insertInto('purchases')
      .values({
        program_id: programId,
        store_id: store.id,
        customer_id: customer,
        external_ref: `refresh-${input.seed}-${i}`,
        occurred_at: at,
        local_date_time: at.toISOString().slice(0, 19),
        amount,
        discount: 0,
        final_amount: amount,
        qualifying_amount: amount,
        points_spent: 0,
        points_earned: Math.floor(amount / 1000),
        check: JSON.stringify({}),
        result: JSON.stringify({}),
        payments: JSON.stringify([]),
      })
      .execute();
    const t1 = performance.now();
    const change = await refreshQueuedCustomers(db, { now });
    refreshMs.push(performance.now() - t1);
    insertMs.push(t1 - t0);
    if (change.customers !== 1) throw new Error(`the refresh took ${change.customers} customers, not 1`);
    entered += change.entered;
    left += change.left;
  }
  refreshMs.sort((a, b) => a - b);
  insertMs.sort((a, b) => a - b);
  log(
    `\n  Incremental refresh after one purchase (${input.refreshes} purchases, random customers, all ${segments.length} segments)`,
  );
  log(
    table(
      ['step', 'p50 ms', 'p99 ms', 'max ms'],
      [
        ['insert purchase (trigger queues)', ...[50, 99, 100].map((p) => percentile(insertMs, p).toFixed(2))],
        ['refreshQueuedCustomers', ...[50, 99, 100].map((p) => percentile(refreshMs, p).toFixed(2))],
      ],
    ),
  );
  log(
    `  entered ${entered}, left ${left}; goal: incremental update p99 < 5 ms: ${percentile(refreshMs, 99) < 5 ? 'met' : 'missed'}`,
  );
  return {
    recompute: passes,
    totals,
    refresh: { p50: percentile(refreshMs, 50), p99: percentile(refreshMs, 99), entered, left },
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const options = segmentBenchOptions();
  console.log(
    `Segments: counts of ten definitions through the compiler beside hand SQL, full recompute, incremental refresh`,
  );
  const scratch = await scratchDatabase();
  try {
    await benchSegments(scratch.db, options);
  } finally {
    await scratch.stop();
  }
}
