import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { poolOf, type DB } from './database';

/** The channel migration 0013 notifies with the name of each changed watched table. */
export const changeChannel = 'loyalflow_changes';

/** How long after a lost connection the next get may try to listen again. */
const retryMs = 1000;

/** How long after a probe that never came back (a pooler in transaction mode, say) it tries again. */
const probeRetryMs = 60_000;

export interface FeedTiming {
  /**
   * How long the listener waits for its own probe notification, or the answer to a fence, before it
   * counts the connection as lost (and caches nothing until it listens again).
   */
  probeTimeoutMs: number;
  /**
   * How often a listening feed probes its connection: one that died without closing (an idle timeout
   * of a firewall, a failover) would otherwise keep the caches forever.
   */
  heartbeatMs: number;
}

const defaultTiming: FeedTiming = { probeTimeoutMs: 5000, heartbeatMs: 15_000 };

/** Resolves with `work`, or rejects once `ms` pass. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Reads cached in the process, dropped when PostgreSQL notifies a change to a table they depend on.
 * Entries are served and kept only while the feed listens, so no change can go unseen: a value is at
 * most as old as the delivery of the notification of its last change (milliseconds).
 */
export class ChangeCache<V> {
  private entries = new Map<string, { value: V }>();
  /** Bumped by every drop: a load that saw another generation at its end may hold older data. */
  private generation = 0;

  constructor(
    private readonly feed: ChangeFeed,
    private readonly maxEntries: number,
  ) {}

  /**
   * The cached value of `key`, else what `load` reads, kept unless a change to the cache's tables
   * (or a lost listener) happened meanwhile. A failed load is not kept. Loads must not see uncommitted
   * changes to the watched tables (a transaction that wrote them must read past the cache), for a
   * rolled-back change notifies nobody.
   */
  async get(key: string, load: () => Promise<V>): Promise<V> {
    if (!this.feed.live()) return load();
    const hit = this.entries.get(key);
    if (hit) return hit.value;
    const generation = this.generation;
    const value = await load();
    if (this.generation === generation && this.feed.live()) this.keep(key, value);
    return value;
  }

  /**
   * The values of `keys`: the cached ones, and the others from one `load` of those missing (which
   * answers each key it can), kept on the terms of `get`.
   */
  async getMany(
    keys: readonly string[],
    load: (missing: string[]) => Promise<Map<string, V>>,
  ): Promise<Map<string, V>> {
    if (!this.feed.live()) return keys.length === 0 ? new Map() : load([...keys]);
    const found = new Map<string, V>();
    const missing: string[] = [];
    for (const key of keys) {
      const hit = this.entries.get(key);
      if (hit) found.set(key, hit.value);
      else missing.push(key);
    }
    if (missing.length === 0) return found;
    const generation = this.generation;
    const loaded = await load(missing);
    const keep = this.generation === generation && this.feed.live();
    for (const [key, value] of loaded) {
      found.set(key, value);
      if (keep) this.keep(key, value);
    }
    return found;
  }

  /** Drops every entry and makes loads in flight unkeepable. */
  invalidate(): void {
    this.generation += 1;
    this.entries.clear();
  }

  /** Bounded: past `maxEntries` it starts over rather than track use (the keys are few in practice). */
  private keep(key: string, value: V): void {
    if (this.entries.size >= this.maxEntries && !this.entries.has(key)) this.entries.clear();
    this.entries.set(key, { value });
  }

  /** How many entries are kept (for tests). */
  get size(): number {
    return this.entries.size;
  }
}

/**
 * One per API process (per root database handle): a pooled connection that LISTENs to the change
 * channel and invalidates the caches depending on each notified table. Without it (not yet connected,
 * connection lost, handle not made by `createDb`) every get reads the database, and a later get tries
 * to listen again, at most once a second. Nothing here may throw into the process: a lost listener
 * only costs the caching.
 */
export class ChangeFeed {
  private client: pg.PoolClient | undefined;
  private listening = false;
  private connecting: Promise<void> | undefined;
  private nextAttempt = 0;
  private closed = false;
  private heartbeat: NodeJS.Timeout | undefined;
  /** Probe notifications on their way back, by payload. */
  private readonly probes = new Map<string, () => void>();
  /** The fence query in flight, and the one queued after it for whoever asks meanwhile (see `sync`). */
  private fence: Promise<void> | undefined;
  private queuedFence: Promise<void> | undefined;
  private readonly caches = new Map<string, Set<ChangeCache<unknown>>>();
  private readonly all = new Set<ChangeCache<unknown>>();

  private constructor(
    private readonly pool: pg.Pool | undefined,
    private readonly timing: FeedTiming,
  ) {}

  /** A feed for `db`, listening once this resolves if the database answers (else it retries on use). */
  static async open(db: DB, timing: Partial<FeedTiming> = {}): Promise<ChangeFeed> {
    const feed = new ChangeFeed(poolOf(db), { ...defaultTiming, ...timing });
    await feed.connect();
    return feed;
  }

  /** A cache of up to `maxEntries` values (all dropped past that), dropped on a change to `tables`. */
  cache<V>(tables: readonly string[], maxEntries: number): ChangeCache<V> {
    const cache = new ChangeCache<V>(this, maxEntries);
    const erased = cache as ChangeCache<unknown>;
    this.all.add(erased);
    for (const table of tables) {
      let dependents = this.caches.get(table);
      if (!dependents) this.caches.set(table, (dependents = new Set()));
      dependents.add(erased);
    }
    return cache;
  }

  /** Whether caches may serve and keep values now; when not, starts listening again if it is time. */
  live(): boolean {
    if (this.listening) return true;
    if (!this.closed && this.pool && !this.connecting && Date.now() >= this.nextAttempt) {
      void this.connect();
    }
    return false;
  }

  /** Whether the feed listens now (caches serve and keep values). */
  get isListening(): boolean {
    return this.listening;
  }

  /**
   * Resolves once every change committed before the call has reached the caches: a query on the
   * listening connection, before whose answer PostgreSQL delivers the notifications pending for it.
   * A route that changed watched tables awaits it so that its caller's next call sees the change even
   * on this process (elsewhere the notification's delivery is the only delay). Calls while a fence is
   * in flight share the next one (the one in flight may have been sent before their commit).
   */
  sync(): Promise<void> {
    if (!this.listening) return Promise.resolve();
    if (this.queuedFence) return this.queuedFence;
    if (!this.fence) return this.startFence();
    const queued = this.fence.then(() => {
      this.queuedFence = undefined;
      return this.startFence();
    });
    this.queuedFence = queued;
    return queued;
  }

  private startFence(): Promise<void> {
    const client = this.client;
    if (!this.listening || !client) return Promise.resolve();
    // A fence that fails or hangs means a lost connection: dropping it empties every cache.
    const fence: Promise<void> = within(client.query('select 1'), this.timing.probeTimeoutMs)
      .then(
        () => undefined,
        () => this.drop(client),
      )
      .finally(() => {
        if (this.fence === fence) this.fence = undefined;
      });
    this.fence = fence;
    return fence;
  }

  /** Stops listening and gives the connection back (closed). Call before destroying the database handle. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    await this.connecting;
    this.drop(this.client);
  }

  /** Notifies the channel with a fresh payload on `client` and waits until that comes back to it. */
  private async probe(client: pg.PoolClient): Promise<void> {
    const payload = `probe:${randomUUID()}`;
    const heard = new Promise<void>((resolve) => this.probes.set(payload, resolve));
    try {
      await within(
        client.query('select pg_notify($1, $2)', [changeChannel, payload]).then(() => heard),
        this.timing.probeTimeoutMs,
      );
    } finally {
      this.probes.delete(payload);
    }
  }

  private connect(): Promise<void> {
    if (this.closed || !this.pool) return Promise.resolve();
    this.nextAttempt = Date.now() + retryMs;
    const pool = this.pool;
    this.connecting = (async () => {
      let client: pg.PoolClient | undefined;
      try {
        client = await pool.connect();
        const current = client;
        this.client = current;
        current.on('error', () => this.drop(current));
        current.on('end', () => this.drop(current));
        current.on('notification', (message) => {
          if (message.channel !== changeChannel || !message.payload) return;
          const probe = this.probes.get(message.payload);
          if (probe) probe();
          else this.changed(message.payload);
        });
        await current.query(`listen ${changeChannel}`);
        // Listening counts only once a notification of our own came back: behind a pooler in
        // transaction mode (or without the triggers' channel) none would, and caches would never drop.
        try {
          await this.probe(current);
        } catch (error) {
          this.nextAttempt = Date.now() + probeRetryMs;
          throw error;
        }
        if (this.closed || this.client !== current) {
          this.drop(current);
          return;
        }
        // Whatever changed before LISTEN took effect was never seen: start from empty caches.
        this.invalidateAll();
        this.listening = true;
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => {
          if (this.client === current && this.listening) {
            this.probe(current).catch(() => this.drop(current));
          }
        }, this.timing.heartbeatMs);
        this.heartbeat.unref();
      } catch {
        this.drop(client);
      } finally {
        this.connecting = undefined;
      }
    })();
    return this.connecting;
  }

  /** Destroys `client`; if it is the listening one, forgets it and drops every cache (changes may go unseen). */
  private drop(client: pg.PoolClient | undefined): void {
    if (!client) return;
    if (this.client === client) {
      clearInterval(this.heartbeat);
      this.client = undefined;
      this.listening = false;
      this.invalidateAll();
    }
    try {
      client.release(true);
    } catch {
      // Released already (an error then its end): nothing more to give back.
    }
  }

  private changed(table: string): void {
    for (const cache of this.caches.get(table) ?? []) cache.invalidate();
  }

  private invalidateAll(): void {
    for (const cache of this.all) cache.invalidate();
  }
}

/**
 * A cache per feed, made on a feed's first use: for a module that caches through whichever feed its
 * caller hands it (one per API process; tests build several).
 */
export function cachePerFeed<V>(
  tables: readonly string[],
  maxEntries: number,
): (feed: ChangeFeed) => ChangeCache<V> {
  const caches = new WeakMap<ChangeFeed, ChangeCache<V>>();
  return (feed) => {
    let cache = caches.get(feed);
    if (!cache) caches.set(feed, (cache = feed.cache<V>(tables, maxEntries)));
    return cache;
  };
}
