import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { ChannelRegistry, type DefaultChannels } from '../activities/messaging/channel-registry';
import { deliverDueMessages } from '../activities/messaging/deliver';
import type { DB } from '../db/database';
import { queueFallbacks, queueMissedFallbacks } from '../db/messaging/fallback';
import { applyMatchedPendingReceipts, recordInbound, type InboundSource } from '../db/messaging/inbound';
import { messagesQueuedChannel, type MessagingContext } from '../db/messaging/queue';
import { recoverInterruptedSends } from '../db/messaging/recovery';
import type { InboundEvent } from '../engine/messaging/inbound';
import type { Logger } from '../platform/logger';

export interface MessageSenderOptions {
  db: DB;
  /** For LISTEN: a one-time code wakes the sender as soon as its transaction commits. */
  databaseUrl: string;
  log: Logger;
  context: MessagingContext;
  defaults: DefaultChannels;
  /** Polling for marketing messages (which send no notification) and retries that came due (ms). */
  pollMs?: number;
  /** Messages one round claims. */
  batchSize?: number;
  /**
   * Rounds under way at once: while one submits, the next claims and the last records, so the
   * database and the providers' sockets are busy together (each round claims its own rows).
   */
  concurrency?: number;
  /**
   * A message `sending` longer than this was interrupted (ms; default 5 minutes, longer than any round
   * of submits with their timeouts); checked every `leaseMs / 4`.
   */
  leaseMs?: number;
}

export interface SenderStats {
  rounds: number;
  sent: number;
  failed: number;
  retried: number;
  unknown: number;
  fallbacks: number;
  recovered: number;
  inbound: number;
  errors: number;
}

/**
 * The worker's sender: drains due messages round by round, then waits for a notification or the
 * poll interval. Several workers may run one: each round claims rows the others have not locked.
 * Receipts, replies and links that providers push over their connections (SMPP deliver_sm) are
 * recorded here too, in order per connection.
 */
export class MessageSender {
  private stopped = false;
  private readonly wakers = new Set<() => void>();
  private loop: Promise<unknown> | undefined;
  private listener: pg.Client | undefined;
  private inboundChain: Promise<void> = Promise.resolve();
  /** The rounds in flight: a receipt can arrive before its round has recorded the provider's id. */
  private readonly roundsInFlight = new Set<Promise<unknown>>();
  private recoveredAt = 0;
  readonly registry: ChannelRegistry;
  readonly stats: SenderStats = {
    rounds: 0,
    sent: 0,
    failed: 0,
    retried: 0,
    unknown: 0,
    fallbacks: 0,
    recovered: 0,
    inbound: 0,
    errors: 0,
  };

  constructor(private readonly options: MessageSenderOptions) {
    this.registry = new ChannelRegistry(
      options.db,
      options.context.secret,
      options.defaults,
      (source, events) => this.inbound(source, events),
      options.log,
    );
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.listener = new pg.Client({ connectionString: this.options.databaseUrl });
    // A lost LISTEN connection (a database restart) costs only the wake-ups: polling goes on.
    this.listener.on('error', (error) =>
      this.options.log.warn({ err: error }, 'message sender lost its LISTEN connection'),
    );
    await this.listener.connect();
    this.listener.on('notification', () => this.wakeAll());
    await this.listener.query(`listen ${messagesQueuedChannel}`);
    this.stopped = false;
    const loops = Array.from({ length: this.options.concurrency ?? 2 }, () => this.run());
    this.loop = Promise.all(loops);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeAll();
    await this.loop;
    this.loop = undefined;
    await this.registry.close();
    await this.inboundChain;
    await this.listener?.end();
  }

  /**
   * Applies what a provider reported, one event batch after another (receipts after their sends).
   * The promise settles once it is stored, so an SMSC is answered only then (and asked to repeat a
   * deliver_sm that could not be stored: a STOP is never acknowledged and lost).
   */
  private inbound(source: InboundSource, events: InboundEvent[]): Promise<void> {
    const run = this.inboundChain.then(async () => {
      await Promise.allSettled([...this.roundsInFlight]);
      const failed = await recordInbound(this.options.db, source, events);
      this.stats.inbound += events.length;
      if (failed.length) {
        this.stats.fallbacks += (
          await queueFallbacks(this.options.db, this.options.context, failed, new Date())
        ).length;
      }
    });
    this.inboundChain = run.catch((error: unknown) => {
      this.stats.errors += 1;
      this.options.log.warn({ err: error, channel: source.channel }, 'recording an inbound event failed');
    });
    return run;
  }

  private wakeAll(): void {
    for (const wake of this.wakers) wake();
  }

  private async idle(ms: number): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    const wake = () => controller.abort();
    this.wakers.add(wake);
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
    this.wakers.delete(wake);
  }

  private async recover(): Promise<void> {
    const leaseMs = this.options.leaseMs ?? 300_000;
    if (Date.now() - this.recoveredAt < leaseMs / 4) return;
    this.recoveredAt = Date.now();
    const recovered = await recoverInterruptedSends(
      this.options.db,
      this.options.context,
      new Date(),
      leaseMs,
    );
    if (recovered) this.options.log.warn({ recovered }, 'messages interrupted while sending are now unknown');
    this.stats.recovered += recovered;
    this.stats.fallbacks += await queueMissedFallbacks(
      this.options.db,
      this.options.context,
      new Date(),
      leaseMs,
    );
    const undelivered = await applyMatchedPendingReceipts(this.options.db);
    if (undelivered.length) {
      this.stats.fallbacks += (
        await queueFallbacks(this.options.db, this.options.context, undelivered, new Date())
      ).length;
    }
  }

  /** One round: what the benchmark and the tests drive directly. */
  async round(): Promise<number> {
    const round = deliverDueMessages(
      { db: this.options.db, context: this.options.context, registry: this.registry },
      new Date(),
      this.options.batchSize ?? 500,
    );
    this.roundsInFlight.add(round);
    const outcome = await round.finally(() => this.roundsInFlight.delete(round));
    this.stats.rounds += 1;
    this.stats.sent += outcome.sent;
    this.stats.failed += outcome.failed;
    this.stats.retried += outcome.retried;
    this.stats.unknown += outcome.unknown;
    this.stats.fallbacks += outcome.fallbacks;
    if (outcome.claimed) this.options.log.debug(outcome, 'messages delivered');
    return outcome.claimed;
  }

  private async run(): Promise<void> {
    const pollMs = this.options.pollMs ?? 250;
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.recover();
        const claimed = await this.round();
        failures = 0;
        if (claimed === 0) await this.idle(pollMs);
      } catch (error) {
        failures += 1;
        this.stats.errors += 1;
        const backoffMs = Math.min(10_000, pollMs * 2 ** Math.min(failures, 10));
        this.options.log.warn({ err: error, failures, backoffMs }, 'sending messages failed; backing off');
        await this.idle(backoffMs);
      }
    }
  }
}
