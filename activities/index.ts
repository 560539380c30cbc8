import type { DB } from '../db/database';
import type { Logger } from '../platform/logger';
import { createCustomerEventActivities } from './customer-events';
import { createMaintenanceActivities } from './maintenance';
import { createSegmentListActivities } from './segment-lists';
import { createSegmentActivities } from './segments';

/** Every activity the worker registers, bound to its dependencies. */
export function createActivities(db: DB, log: Logger) {
  return {
    ...createCustomerEventActivities(db, log),
    ...createMaintenanceActivities(db, log),
    ...createSegmentActivities(db, log),
    ...createSegmentListActivities(db, log),
  };
}
