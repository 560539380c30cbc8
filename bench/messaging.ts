import { sql } from 'kysely';
import { fileURLToPath } from 'node:url';
import type { Channel, OutgoingMessage } from '../activities/channels/channel';
import type { DB } from '../db/database';
import { queueMessages, type MessagingContext } from '../db/messaging/queue';
import { createLogger } from '../platform/logger';
import { startSmsSink, type SinkMessage } from '../platform/sms-sink';
import { MessageSender } from '../worker/message-sender';
import {
  fillQueuedMessages,
  generateMessagingData,
  sqlRenderingDiffers,
  type MessagingData,
  benchProfileTemplateKey,
} from './messaging-data';
import { scratchDatabase } from './scratch-database';
import { bareSubmitLoop } from './smpp-bare';
import { percentile, table } from './stats';

/**
 * Messaging (issue 14's benchmark): messages per second through the whole path — render, rules, log
 * (`queueMessages`, a campaign page per transaction), claim, submit over SMPP, record (`MessageSender.round()`) — to the local SMS sink,
 * beside a bare `submit_sm` loop over the same kind of bind and the same window. Goal: ≥ 0.5× the bare
 * loop, and every queued marketing message drained without one duplicate.
 *
 * 1. the yardstick: `bareSubmitLoop` with window 50 (the default SMS channel's, channel-registry.ts);
 * 2. queue: one campaign to BENCH_MESSAGES customers (default 100 000); the first BENCH_MESSAGING_QUEUE
 *    (default 5 000) through `queueMessages` from BENCH_MESSAGING_WORKERS connections,
 *    BENCH_MESSAGING_GROUP messages per transaction, timed; the rest written by one SQL statement
 *    that renders the same rows (checked equal on the ones `queueMessages` wrote): the template prints
 *    each customer's balance, a ledger read per customer, and queueing all of them would take the
 *    bench's time budget; the same page again with a profile-only template (no ledger read) is timed;
 * 3. drain: one `MessageSender` (not started) calling `round()` until nothing is due; the sink counts
 *    what each destination got, the log is checked that no message was claimed twice;
 * 4. pipelined: BENCH_MESSAGING_PIPELINE (default 20 000) messages of the profile template queued
 *    through `queueMessages` while a started sender drains them: the whole path end to end, the
 *    figure the goal is about.
 *
 * Environment: BENCH_SEED, BENCH_MESSAGES, BENCH_MESSAGING_QUEUE, BENCH_MESSAGING_PIPELINE,
 * BENCH_MESSAGING_WORKERS (default 4), BENCH_MESSAGING_GROUP (default 500), BENCH_MESSAGING_BATCH
 * (the sender's batch, default its own 500), BENCH_SMS_RECEIPT_MS (the sink's receipt delay; default
 * none: receipts are recorded one transaction each and are timed apart, not in the throughput).
 * Run alone: `node --import tsx bench/messaging.ts`.
 */

interface MessagingBenchOptions {
  seed: number;
  messages: number;
  queued: number;
  pipeline: number;
  workers: number;
  group: number;
  batchSize: number | undefined;
  receiptDelayMs: number | null;
  bareMessages: number;
}

function messagingBenchOptions(): MessagingBenchOptions {
  const env = process.env;
  const messages = Number(env.BENCH_MESSAGES ?? 100_000);
  return {
    seed: Number(env.BENCH_SEED ?? Math.floor(Math.random() * 2 ** 31)),
    messages,
    queued: Math.min(messages, Number(env.BENCH_MESSAGING_QUEUE ?? 5_000)),
    pipeline: Math.min(messages, Number(env.BENCH_MESSAGING_PIPELINE ?? 20_000)),
    workers: Number(env.BENCH_MESSAGING_WORKERS ?? 4),
    group: Number(env.BENCH_MESSAGING_GROUP ?? 500),
    batchSize: env.BENCH_MESSAGING_BATCH ? Number(env.BENCH_MESSAGING_BATCH) : undefined,
    receiptDelayMs: env.BENCH_SMS_RECEIPT_MS ? Number(env.BENCH_SMS_RECEIPT_MS) : null,
    bareMessages: Number(env.BENCH_BARE_MESSAGES ?? 30_000),
  };
}

/** The default SMS channel's window (activities/messaging/channel-registry.ts). */
const senderWindow = 50;

const context: MessagingContext = {
  secret: 'bench-secret-bench-secret-bench-secret',
  apiUrl: 'http://127.0.0.1:3000',
  defaultChannels: ['sms'],
};

/** What the sink received, per destination. */
class Received {
  readonly byDestination = new Map<string, { count: number; text: string }>();
  total = 0;
  onMessage = (message: SinkMessage) => {
    this.total++;
    const seen = this.byDestination.get(message.destination);
    if (seen) seen.count++;
    else this.byDestination.set(message.destination, { count: 1, text: message.text });
  };
  reset(): void {
    this.byDestination.clear();
    this.total = 0;
  }
  get duplicates(): number {
    let n = 0;
    for (const { count } of this.byDestination.values()) if (count > 1) n += count - 1;
    return n;
  }
}

/** Round timings: claim (round start → first submit), submit (first submit → last answer), the rest. */
interface RoundTimes {
  claimed: number;
  totalMs: number;
  claimMs: number;
  submitMs: number;
  recordMs: number;
}

/**
 * Wraps the sender's channels to see when a round's submits start and end; the claim is what comes
 * before the first, the record (and fallbacks) what comes after the last.
 */
function instrument(sender: MessageSender) {
  let first: number | null = null;
  let last = 0;
  const wrapped = new WeakMap<Channel, Channel>();
  const registry = sender.registry;
  const channelFor = registry.channelFor.bind(registry);
  registry.channelFor = async (providerId, kind) => {
    const channel = await channelFor(providerId, kind);
    if (!channel) return channel;
    let proxy = wrapped.get(channel);
    if (!proxy) {
      proxy = Object.create(channel) as Channel;
      proxy.submit = async (message: OutgoingMessage) => {
        first ??= performance.now();
        try {
          return await channel.submit(message);
        } finally {
          last = performance.now();
        }
      };
      wrapped.set(channel, proxy);
    }
    return proxy;
  };
  return async (): Promise<RoundTimes> => {
    first = null;
    const t0 = performance.now();
    const claimed = await sender.round();
    const t1 = performance.now();
    const start = first ?? t1;
    const end = first === null ? t1 : last;
    return { claimed, totalMs: t1 - t0, claimMs: start - t0, submitMs: end - start, recordMs: t1 - end };
  };
}

/** Queues one campaign's messages from `workers` connections; returns the rate and latencies. */
async function queueCampaign(
  db: DB,
  data: MessagingData,
  customerIds: readonly number[],
  campaign: string,
  workers: number,
  group: number,
  template = data.templateKey,
) {
  let next = 0;
  let skipped = 0;
  const latencies: number[] = [];
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (;;) {
        const from = next;
        next += group;
        if (from >= customerIds.length) return;
        const ids = customerIds.slice(from, from + group);
        const started = performance.now();
        // One campaign page per transaction, as a broadcast queues it (`queueMessages`).
        await db.transaction().execute(async (trx) => {
          const now = new Date();
          const queued = await queueMessages(
            trx,
            context,
            {
              programId: data.programId,
              template,
              kind: 'template',
              campaign,
              occurredAt: now,
            },
            ids.map((customerId) => ({ customerId, idempotencyKey: `${campaign}:${customerId}` })),
            now,
          );
          skipped += queued.filter((q) => q.status !== 'queued').length;
        });
        latencies.push((performance.now() - started) / ids.length);
      }
    }),
  );
  const ms = performance.now() - t0;
  latencies.sort((a, b) => a - b);
  return {
    messages: customerIds.length,
    ms,
    perSecond: customerIds.length / (ms / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    skipped,
  };
}

interface Check {
  sinkTotal: number;
  destinations: number;
  duplicates: number;
  /** Rows of the campaign by status. */
  statuses: Record<string, number>;
  /** Messages claimed for sending more than once (a second submit needs a second claim). */
  sentTwice: number;
  /** Rows whose destination the sink did not get, or got another text for. */
  mismatched: number;
  pass: boolean;
}

async function check(db: DB, campaign: string, expected: number, received: Received): Promise<Check> {
  const statusRows = await sql<{ status: string; n: number }>`
    select status, count(*)::int as n from messages where campaign = ${campaign} group by status`.execute(db);
  const statuses = Object.fromEntries(statusRows.rows.map((r) => [r.status, r.n]));
  const twice = await sql<{ n: number }>`
    select count(*)::int as n from messages where campaign = ${campaign} and attempts > 1`.execute(db);
  const rows = await sql<{ destination: string; body: string }>`
    select destination, body from messages where campaign = ${campaign}`.execute(db);
  let mismatched = 0;
  for (const row of rows.rows) {
    const got = received.byDestination.get(row.destination);
    if (!got || got.text !== row.body) mismatched++;
  }
  const done = (statuses.sent ?? 0) + (statuses.delivered ?? 0);
  const result = {
    sinkTotal: received.total,
    destinations: received.byDestination.size,
    duplicates: received.duplicates,
    statuses,
    sentTwice: twice.rows[0]!.n,
    mismatched,
    pass: false,
  };
  result.pass =
    received.total === expected &&
    received.byDestination.size === expected &&
    result.duplicates === 0 &&
    done === expected &&
    rows.rows.length === expected &&
    result.sentTwice === 0 &&
    mismatched === 0;
  return result;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function benchMessaging(db: DB, url: string, options: MessagingBenchOptions) {
  const log = (line: string) => console.log(line);
  const quiet = createLogger('bench', 'warn');
  log(
    `  seed ${options.seed} (BENCH_SEED=${options.seed} replays), ${options.messages} customers and messages, ` +
      `${options.workers} queueing connections × ${options.group} message(s) per transaction, ` +
      `sender batch ${options.batchSize ?? 500}, window ${senderWindow}, receipts ${options.receiptDelayMs === null ? 'off' : `after ${options.receiptDelayMs} ms`}`,
  );
  const received = new Received();
  const sink = await startSmsSink({ receiptDelayMs: options.receiptDelayMs, onMessage: received.onMessage });
  const rows: Array<Array<string | number>> = [];
  const sender = new MessageSender({
    db,
    databaseUrl: url,
    log: quiet,
    context,
    defaults: { sms: { host: '127.0.0.1', port: sink.port } },
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  try {
    // 1. The yardstick, over the same sink, before the database is loaded (autovacuum of the
    // generated tables would compete for the cores); the better of two runs.
    const bareRuns = [];
    for (let i = 0; i < 2; i += 1) {
      bareRuns.push(
        await bareSubmitLoop({
          port: sink.port,
          systemId: 'bench',
          password: 'bench',
          messages: options.bareMessages,
          window: senderWindow,
        }),
      );
    }
    const bare = bareRuns.reduce((a, b) => (b.perSecond > a.perSecond ? b : a));
    rows.push([
      'bare submit_sm loop',
      bare.messages,
      fmt(bare.seconds, 2),
      fmt(bare.perSecond),
      '1.00',
      `best of ${bareRuns.map((r) => fmt(r.perSecond)).join(', ')}`,
    ]);
    const data = await generateMessagingData(db, {
      customers: options.messages,
      seed: options.seed,
      now: new Date(),
    });
    log(
      `  generated ${data.customerIds.length} customers with phones and balances in ${fmt(data.ms / 1000, 1)} s`,
    );

    // The campaign's messages alone are checked.
    received.reset();

    // 2. Queue the whole campaign.
    const campaign = 'bench-drain';
    const cpu0 = process.cpuUsage();
    const queued = await queueCampaign(
      db,
      data,
      data.customerIds.slice(0, options.queued),
      campaign,
      options.workers,
      options.group,
    );
    const queueCpu = process.cpuUsage(cpu0);
    const rendering = await sqlRenderingDiffers(db, data.programId, campaign);
    if (rendering.differing) {
      throw new Error(
        `the SQL fill would not write what queueMessage wrote (${rendering.differing} of ${rendering.compared}): ${JSON.stringify(rendering.examples)}`,
      );
    }
    const f0 = performance.now();
    const filled = await fillQueuedMessages(db, {
      programId: data.programId,
      customerIds: data.customerIds.slice(options.queued),
      campaign,
      now: new Date(),
    });
    const fillMs = performance.now() - f0;
    rows.push([
      `queue (${options.workers} conns)`,
      queued.messages,
      fmt(queued.ms / 1000, 2),
      fmt(queued.perSecond),
      fmt(queued.perSecond / bare.perSecond, 2),
      `p50 ${fmt(queued.p50, 2)} ms, p99 ${fmt(queued.p99, 2)} ms per message; node CPU ${fmt((queueCpu.user + queueCpu.system) / 1000 / queued.messages, 2)} ms/msg`,
    ]);
    rows.push([
      'rest queued by SQL',
      filled,
      fmt(fillMs / 1000, 2),
      '',
      '',
      `rows as queueMessage writes them (checked on its ${rendering.compared}); not the path`,
    ]);
    if (queued.skipped) log(`  ${queued.skipped} messages were skipped by the rules of sending`);

    // The same campaign with a text of profile and program variables only: the batch reads no ledger.
    const profileCampaign = 'bench-profile';
    const profile = await queueCampaign(
      db,
      data,
      data.customerIds.slice(0, options.queued),
      profileCampaign,
      options.workers,
      options.group,
      benchProfileTemplateKey,
    );
    await db.deleteFrom('messages').where('campaign', '=', profileCampaign).execute();
    rows.push([
      'queue, profile template',
      profile.messages,
      fmt(profile.ms / 1000, 2),
      fmt(profile.perSecond),
      fmt(profile.perSecond / bare.perSecond, 2),
      'firstName and program name only: no per-customer balance read; measured, then deleted',
    ]);

    // The claim's select as the planner sees it now, right after a campaign was queued in bulk.
    // As the claim runs it: in a transaction that turns sorting off (db/messaging/sending.ts).
    const plan = await db.transaction().execute(async (trx) => {
      await sql`set local enable_sort = off`.execute(trx);
      return sql<{ 'QUERY PLAN': string }>`explain select m.id from messages m
        where m.status = 'queued' and m.channel <> 'receipt' and m.purpose = 'marketing' and m.not_before <= now()
        order by m.not_before, m.id limit 500 for update of m skip locked`.execute(trx);
    });
    const claimPlan = plan.rows
      .map((r) => r['QUERY PLAN'].trim())
      .find((line) => /Sort|Index Scan/.test(line));

    // 3. Drain with round() in a loop.
    const round = instrument(sender);
    const rounds: RoundTimes[] = [];
    const cpu1 = process.cpuUsage();
    const t0 = performance.now();
    for (;;) {
      const r = await round();
      if (r.claimed === 0) break;
      rounds.push(r);
    }
    const drainMs = performance.now() - t0;
    const drainCpu = process.cpuUsage(cpu1);
    const drained = sum(rounds.map((r) => r.claimed));
    const drainRate = drained / (drainMs / 1000);
    rows.push([
      'drain (round() loop)',
      drained,
      fmt(drainMs / 1000, 2),
      fmt(drainRate),
      fmt(drainRate / bare.perSecond, 2),
      `${rounds.length} rounds; node CPU ${fmt((drainCpu.user + drainCpu.system) / 1000 / Math.max(1, drained), 3)} ms/msg`,
    ]);
    // Per message, queueing then draining one after the other.
    const serialRate = 1 / (1 / queued.perSecond + 1 / drainRate);
    rows.push([
      'queue + drain, serial',
      '',
      '',
      fmt(serialRate),
      fmt(serialRate / bare.perSecond, 2),
      '1 / (1/queue + 1/drain)',
    ]);
    const drainCheck = await check(db, campaign, data.customerIds.length, received);

    // 4. Pipelined: queueing and draining at once, a started sender.
    const pipeCustomers = data.customerIds.slice(0, options.pipeline);
    const pipeReceived = new Received();
    const pipeSink = await startSmsSink({
      receiptDelayMs: options.receiptDelayMs,
      onMessage: pipeReceived.onMessage,
    });
    const pipeSender = new MessageSender({
      db,
      databaseUrl: url,
      log: quiet,
      context,
      defaults: { sms: { host: '127.0.0.1', port: pipeSink.port } },
      pollMs: 20,
      ...(options.batchSize ? { batchSize: options.batchSize } : {}),
    });
    let pipe: { queueMs: number; endMs: number; check: Check };
    let stopped = false;
    try {
      const pipeCampaign = 'bench-pipeline';
      await pipeSender.start();
      const p0 = performance.now();
      const pipeQueued = await queueCampaign(
        db,
        data,
        pipeCustomers,
        pipeCampaign,
        options.workers,
        options.group,
        benchProfileTemplateKey,
      );
      const deadline = performance.now() + 120_000;
      while (pipeReceived.total < pipeCustomers.length && performance.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const endMs = performance.now() - p0;
      // Its last round records what the sink has just received.
      await pipeSender.stop();
      stopped = true;
      pipe = {
        queueMs: pipeQueued.ms,
        endMs,
        check: await check(db, pipeCampaign, pipeCustomers.length, pipeReceived),
      };
    } finally {
      if (!stopped) await pipeSender.stop();
      await pipeSink.close();
    }
    const pipeRate = pipeCustomers.length / (pipe.endMs / 1000);
    rows.push([
      `whole path, pipelined`,
      pipeCustomers.length,
      fmt(pipe.endMs / 1000, 2),
      fmt(pipeRate),
      fmt(pipeRate / bare.perSecond, 2),
      `profile template; queueing alone took ${fmt(pipe.queueMs / 1000, 2)} s`,
    ]);

    log(table(['step', 'messages', 's', 'messages/s', '× bare', 'notes'], rows));

    const claimMs = rounds.map((r) => r.claimMs).sort((a, b) => a - b);
    const submitMs = rounds.map((r) => r.submitMs).sort((a, b) => a - b);
    const recordMs = rounds.map((r) => r.recordMs).sort((a, b) => a - b);
    const totalMs = sum(rounds.map((r) => r.totalMs));
    log(`\n  Where a drain round's time goes (${rounds.length} rounds of up to ${options.batchSize ?? 500})`);
    log(
      table(
        ['part', 'share', 'p50 ms', 'p99 ms', 'µs per message'],
        [
          ['claim (select … for update skip locked, mark sending)', claimMs],
          ['submit (SMPP, window 50)', submitMs],
          ['record (sent + events) and fallbacks', recordMs],
        ].map(([label, ms]) => {
          const values = ms as number[];
          return [
            label as string,
            `${fmt((100 * sum(values)) / totalMs)} %`,
            fmt(percentile(values, 50), 2),
            fmt(percentile(values, 99), 2),
            fmt((1000 * sum(values)) / Math.max(1, drained), 1),
          ];
        }),
      ),
    );

    log(
      `  the claim's select was planned as: ${claimPlan?.replace(/^->\s*/, '').replace(/\s+\(cost.*$/, '') ?? 'n/a'}`,
    );

    const verdict = (c: Check) =>
      `sink ${c.sinkTotal} messages to ${c.destinations} destinations, ${c.duplicates} duplicates; log ${JSON.stringify(c.statuses)}, ` +
      `${c.sentTwice} sent twice, ${c.mismatched} not received as logged: ${c.pass ? 'PASS' : 'FAIL'}`;
    log(`\n  no duplicate, drain of ${data.customerIds.length}: ${verdict(drainCheck)}`);
    log(`  no duplicate, pipelined ${pipeCustomers.length}: ${verdict(pipe.check)}`);
    const ratio = pipeRate / bare.perSecond;
    log(
      `  goal: whole path ≥ 0.5× the bare loop: ${fmt(ratio, 2)}× (${fmt(pipeRate)} vs ${fmt(bare.perSecond)} messages/s): ${ratio >= 0.5 ? 'met' : 'missed'}`,
    );
    return {
      bare,
      queue: queued,
      drain: { messages: drained, ms: drainMs, perSecond: drainRate },
      pipeline: { messages: pipeCustomers.length, ms: pipe.endMs, perSecond: pipeRate, ratio },
      drainCheck,
      pipelineCheck: pipe.check,
    };
  } finally {
    await sender.stop();
    await sink.close();
  }
}

const heading =
  'Messaging: the whole path (render, rules, log, submit) to the local SMPP sink beside a bare submit_sm loop';

/** `npm run bench`'s section: the heading, then the bench on a database of its own. */
export async function messagingSection(scratch: { db: DB; url: string }) {
  console.log(`\n${heading}`);
  return benchMessaging(scratch.db, scratch.url, messagingBenchOptions());
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(heading);
  const scratch = await scratchDatabase();
  try {
    await benchMessaging(scratch.db, scratch.url, messagingBenchOptions());
  } finally {
    await scratch.stop();
  }
}
