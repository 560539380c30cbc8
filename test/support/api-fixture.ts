import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll } from 'vitest';
import type { ApiApp } from '../../api/types';
import { ChangeFeed } from '../../db/change-feed';
import type { DemoCredentials } from '../../db/demo-program';
import type { ProgramSettings } from '../../engine/contracts/program-settings';
import { testApi } from './api';
import { lastTextTo } from './messages';
import { createTestDatabase, type TestDatabase } from './database';
import { seedTestProgram } from './program';

export interface ApiFixture {
  readonly t: TestDatabase;
  readonly app: ApiApp;
  readonly demo: DemoCredentials;
  /** The text of the latest message to a phone or an address (a one-time code opened). */
  lastTextTo(destination: string): Promise<string | undefined>;
  /**
   * Waits until the API's caches have dropped what was committed so far: a test that writes cached
   * tables (keys, staff users, program, stores, catalogue) directly is another process to the API, which
   * sees the change once its notification arrives.
   */
  changesSeen(): Promise<void>;
  /** POSTs with a fresh Idempotency-Key (or `key`) as the till (default) or another key's holder. */
  call(
    url: string,
    payload: unknown,
    options?: { token?: string; key?: string },
  ): Promise<LightMyRequestResponse>;
}

/**
 * A test file's engine API: its own database with the demo program (settings of the file's choosing),
 * built before the file's tests and dropped after them.
 */
export function useApiFixture(name: string, settings: Partial<ProgramSettings> = {}): ApiFixture {
  let seq = 0;
  const state = {} as { t: TestDatabase; app: ApiApp; demo: DemoCredentials; feed: ChangeFeed };
  beforeAll(async () => {
    state.t = await createTestDatabase();
    state.demo = await seedTestProgram(state.t.db, settings);
    state.feed = await ChangeFeed.open(state.t.db);
    state.app = await testApi(state.t.db, undefined, state.feed);
  });
  afterAll(async () => {
    await state.app?.close();
    await state.feed?.close();
    await state.t?.drop();
  });
  return {
    get t() {
      return state.t;
    },
    get app() {
      return state.app;
    },
    get demo() {
      return state.demo;
    },
    lastTextTo: (destination) => lastTextTo(state.t.db, destination),
    changesSeen: () => state.feed.sync(),
    call(url, payload, options = {}) {
      return state.app.inject({
        method: 'POST',
        url,
        headers: {
          authorization: `Bearer ${options.token ?? state.demo.tillApiKey}`,
          'idempotency-key': options.key ?? `${name}-${String((seq += 1)).padStart(6, '0')}`,
        },
        payload: payload as object,
      });
    },
  };
}
