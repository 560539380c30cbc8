import type { DB } from '../db/database';
import type { Logger } from '../platform/logger';
import { createCustomerEventActivities } from './customer-events';

/** Every activity the worker registers, bound to its dependencies. */
export function createActivities(db: DB, log: Logger) {
  return { ...createCustomerEventActivities(db, log) };
}
