import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { defineSearchAttributeKey, SearchAttributeType, TypedSearchAttributes } from '@temporalio/common';
import { sql } from 'kysely';
import pg from 'pg';
import type { DB } from '../db/database';
import type { OutboxRow } from '../db/schema';
import type { Logger } from '../platform/logger';
import { routeOutboxEvent, type RouteOptions } from './outbox-routes';

export interface DispatcherOptions extends RouteOptions {
  db: DB;
  /** For LISTEN: the dispatcher wakes as soon as a transaction writes to the outbox. */
  databaseUrl: string;
  client: Client;
  taskQueue: string;
  log: Logger;
  batchSize?: number;
  /** Poll interval when no notification arrives (ms). */
  pollMs?: number;
  /** Deadline of one Temporal call (ms). */
  callTimeoutMs?: number;
}

/** One dispatcher at a time holds this lock, so per-stream order cannot be broken by a second process. */
const dispatcherLockKey = 0x10_7a_1f_10;

/** A row that fails on its own (not because Temporal is away) is retried at most this far apart. */
const maxRowBackoffMs = 60_000;
/** While Temporal is away the dispatcher probes it at most this far apart, so it catches up quickly. */
const maxOutageBackoffMs = 5_000;

function backoffMs(attempts: number, max: number): number {
  return Math.min(max, 250 * 2 ** Math.min(attempts, 8));
}

/** gRPC UNAVAILABLE / DEADLINE_EXCEEDED, or a connection that cannot be made: Temporal itself is away. */
function isTemporalUnavailable(error: unknown): boolean {
  const e = error as { code?: number; cause?: { code?: number }; name?: string; message?: string };
  const code = e.code ?? e.cause?.code;
  return (
    code === 14 || code === 4 || /UNAVAILABLE|DEADLINE_EXCEEDED|ECONNREFUSED|connect/i.test(e.message ?? '')
  );
}

/**
 * Forwards committed outbox rows to Temporal by signal-with-start: at least once, in id order per
 * stream. A failed row holds back the rest of its stream until it goes through; other streams go on.
 * While Temporal is unreachable nothing is marked, and the dispatcher backs off and retries.
 */
export class OutboxDispatcher {
  private stopped = false;
  private wake: (() => void) | undefined;
  private listener: pg.Client | undefined;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly callTimeoutMs: number;

  constructor(private readonly options: DispatcherOptions) {
    this.batchSize = options.batchSize ?? 200;
    this.pollMs = options.pollMs ?? 1_000;
    this.callTimeoutMs = options.callTimeoutMs ?? 5_000;
  }

  async start(): Promise<void> {
    this.listener = new pg.Client({ connectionString: this.options.databaseUrl });
    this.listener.on('error', (error) => this.options.log.warn({ err: error }, 'outbox listener error'));
    await this.listener.connect();
    this.listener.on('notification', () => this.wake?.());
    await this.listener.query('listen loyalflow_outbox');
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    await this.listener?.end().catch(() => undefined);
  }

  private async idle(ms: number): Promise<void> {
    const controller = new AbortController();
    this.wake = () => controller.abort();
    await sleep(ms, undefined, { signal: controller.signal }).catch(() => undefined);
    this.wake = undefined;
  }

  private async run(): Promise<void> {
    let unavailableStreak = 0;
    while (!this.stopped) {
      let outcome: { sent: number; temporalDown: boolean; more: boolean };
      try {
        outcome = await this.dispatchBatch();
      } catch (error) {
        this.options.log.error({ err: error }, 'outbox batch failed');
        outcome = { sent: 0, temporalDown: false, more: false };
      }
      if (outcome.temporalDown) {
        unavailableStreak += 1;
        await this.idle(backoffMs(unavailableStreak, maxOutageBackoffMs));
        continue;
      }
      unavailableStreak = 0;
      if (!outcome.more) await this.idle(this.pollMs);
    }
  }

  /** One batch in one transaction: lock, send in order, mark what went through, commit. */
  async dispatchBatch(): Promise<{ sent: number; temporalDown: boolean; more: boolean }> {
    const { db, log } = this.options;
    return db.transaction().execute(async (trx) => {
      const { rows } = await sql<{
        locked: boolean;
      }>`select pg_try_advisory_xact_lock(${dispatcherLockKey}) as locked`.execute(trx);
      if (!rows[0]?.locked) return { sent: 0, temporalDown: false, more: false };
      const pending = await trx
        .selectFrom('outbox')
        .selectAll()
        .where('dispatched_at', 'is', null)
        .orderBy('id')
        .limit(this.batchSize)
        .execute();
      const now = new Date();
      const held = new Set<string>();
      const sent: number[] = [];
      let temporalDown = false;
      for (const row of pending) {
        if (held.has(row.stream)) continue;
        if (row.next_attempt_at > now) {
          held.add(row.stream);
          continue;
        }
        try {
          await this.send(row);
          sent.push(row.id);
        } catch (error) {
          if (isTemporalUnavailable(error)) {
            log.warn({ eventId: row.event_id }, 'Temporal unavailable; outbox dispatch paused');
            temporalDown = true;
            break;
          }
          held.add(row.stream);
          const attempts = row.attempts + 1;
          await trx
            .updateTable('outbox')
            .set({
              attempts,
              next_attempt_at: new Date(now.getTime() + backoffMs(attempts, maxRowBackoffMs)),
              last_error: String((error as Error).message ?? error).slice(0, 1000),
            })
            .where('id', '=', row.id)
            .execute();
          log.error(
            { err: error, eventId: row.event_id, attempts },
            'outbox event not delivered; will retry',
          );
        }
      }
      if (sent.length > 0) {
        await trx.updateTable('outbox').set({ dispatched_at: new Date() }).where('id', 'in', sent).execute();
      }
      return { sent: sent.length, temporalDown, more: pending.length === this.batchSize && sent.length > 0 };
    });
  }

  private async send(row: OutboxRow): Promise<void> {
    const { client, taskQueue } = this.options;
    for (const target of routeOutboxEvent(row, this.options)) {
      await client.connection.withDeadline(Date.now() + this.callTimeoutMs, () =>
        client.workflow.signalWithStart(target.workflowType, {
          workflowId: target.workflowId,
          taskQueue,
          args: target.args,
          signal: target.signal,
          signalArgs: target.signalArgs,
          typedSearchAttributes: new TypedSearchAttributes(
            Object.entries(target.searchAttributes).map(([name, value]) => ({
              key: defineSearchAttributeKey(name, SearchAttributeType.KEYWORD),
              value,
            })),
          ),
          memo: row.request_id ? { requestId: row.request_id } : undefined,
        }),
      );
    }
  }
}
