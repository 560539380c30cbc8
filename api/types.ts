import type {
  FastifyBaseLogger,
  FastifyInstance,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { ChangeFeed } from '../db/change-feed';
import type { DB } from '../db/database';
import type { MessagingContext } from '../db/messaging/queue';
import type { Logger } from '../platform/logger';
import type { ApiTls } from './tls';

export interface ApiDependencies {
  db: DB;
  log: Logger;
  temporalAddress: string;
  /** Server secret: keys the hashes of one-time codes. */
  secret: string;
  /**
   * Messages (one-time codes, activation links, templated sends) are queued through the messaging
   * layer in the command's transaction; the worker's sender submits them after it commits.
   */
  messaging: MessagingContext;
  /** The web app's public base URL: activation links point there. */
  webUrl: string;
  /**
   * Encode the answers of the routes that skip zod at run time (api/trusted-serializer.ts) by their
   * schemas too, and fail when they differ: on in the test suite.
   */
  checkResponses?: boolean;
  /** HTTPS that asks clients for certificates (mutual TLS of tills); plain HTTP without it. */
  tls?: ApiTls;
  /**
   * Invalidates the process's caches of keys, purchase settings and catalogue attributes on every
   * change. `buildApiServer` opens one (and closes it with the app) when none is given.
   */
  feed?: ChangeFeed;
}

/** The engine API's Fastify instance, typed by its zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  ZodTypeProvider
>;
