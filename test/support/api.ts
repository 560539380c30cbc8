import { buildApiServer } from '../../api/server';
import type { ApiApp } from '../../api/types';
import type { ChangeFeed } from '../../db/change-feed';
import type { DB } from '../../db/database';
import { createLogger } from '../../platform/logger';
import { testMessaging, testSecret } from './messages';

/** The engine API on a test database; requests go through `app.inject` (no socket). */
export function testApi(db: DB, temporalAddress = '127.0.0.1:1', feed?: ChangeFeed): Promise<ApiApp> {
  return buildApiServer({
    db,
    ...(feed ? { feed } : {}),
    log: createLogger('test-api', (process.env.TEST_API_LOG as 'silent') ?? 'silent'),
    temporalAddress,
    secret: testSecret,
    messaging: testMessaging,
    webUrl: 'http://web.test',
    checkResponses: true,
  });
}
