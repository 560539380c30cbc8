import { setTimeout as sleep } from 'node:timers/promises';
import type { DB } from '../db/database';
import { recomputeDueSegments, refreshQueuedCustomers } from '../db/segments';
import type { Logger } from '../platform/logger';

export interface SegmentRefresherOptions {
  db: DB;
  log: Logger;
  /** How long to sleep once the queue is empty (ms). */
  pollMs?: number;
  /** Queue rows one transaction takes. */
  batchSize?: number;
  /** After an error the refresher waits up to this long before it tries again (ms). */
  maxBackoffMs?: number;
  /** While the queue stays busy, segments due a full recompute are looked for at least this often (ms). */
  dueEveryMs?: number;
  /** The business clock; read once per batch (time is an input to db/). */
  clock?: () => Date;
}

/** Totals since start, for logs and tests. */
export interface RefresherStats {
  batches: number;
  customers: number;
  entered: number;
  left: number;
  errors: number;
}

/**
 * The incremental path of segment membership: after a command commits, the triggers of its
 * transaction have queued the customers whose data changed (segment_refreshes); this loop takes them
 * in batches and brings their memberships up to date, outside the till's transaction. It drains the
 * queue, then polls (no NOTIFY: it would serialise the tills' commits). Several workers may run one:
 * each batch takes rows the others have not locked.
 */
export class SegmentRefresher {
  private stopped = false;
  private wake: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly maxBackoffMs: number;
  private readonly clock: () => Date;
  private readonly dueEveryMs: number;
  private dueCheckedAt = 0;
  readonly stats: RefresherStats = { batches: 0, customers: 0, entered: 0, left: 0, errors: 0 };

  constructor(private readonly options: SegmentRefresherOptions) {
    this.pollMs = options.pollMs ?? 250;
    this.batchSize = options.batchSize ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.clock = options.clock ?? (() => new Date());
    this.dueEveryMs = options.dueEveryMs ?? 5_000;
  }

  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  /** Ends the loop after the batch in flight (which commits or rolls back as a whole). */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
  }

  private async idle(ms: number): Promise<void> {
    if (this.stopped) return;
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        const batch = await this.refreshBatch();
        // New and changed definitions are recomputed in full when the queue is empty, and at least
        // every `dueEveryMs` while tills keep it busy.
        const dueNow = batch.customers === 0 || Date.now() - this.dueCheckedAt >= this.dueEveryMs;
        const recomputed = dueNow ? await this.recomputeDue() : 0;
        if (batch.failed.length > 0) {
          // Their customers are queued again: wait before the next round rather than spin on them.
          failures += 1;
          this.options.log.warn({ failed: batch.failed }, 'segment refresh failed for some programs');
          await this.idle(Math.min(this.maxBackoffMs, this.pollMs * 2 ** Math.min(failures, 10)));
          continue;
        }
        failures = 0;
        // A batch that took customers may have left more behind: go on until the queue is empty.
        if (batch.customers === 0 && recomputed === 0) await this.idle(this.pollMs);
      } catch (error) {
        failures += 1;
        this.stats.errors += 1;
        const backoffMs = Math.min(this.maxBackoffMs, this.pollMs * 2 ** Math.min(failures, 10));
        this.options.log.warn({ err: error, failures, backoffMs }, 'segment refresh failed; backing off');
        await this.idle(backoffMs);
      }
    }
  }

  /** Recomputes the segments due a full recompute (new or changed definitions); how many it did. */
  async recomputeDue(): Promise<number> {
    this.dueCheckedAt = Date.now();
    const done = await recomputeDueSegments(this.options.db, { now: this.clock() });
    for (const d of done) this.options.log.info(d, 'segment recomputed');
    return done.length;
  }

  /** One batch: up to `batchSize` queued rows, evaluated as of the clock now. */
  async refreshBatch(): ReturnType<typeof refreshQueuedCustomers> {
    const result = await refreshQueuedCustomers(this.options.db, {
      now: this.clock(),
      limit: this.batchSize,
    });
    this.stats.batches += 1;
    this.stats.customers += result.customers;
    this.stats.entered += result.entered;
    this.stats.left += result.left;
    if (result.customers > 0) this.options.log.debug(result, 'segment memberships refreshed');
    return result;
  }
}
