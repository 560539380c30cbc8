import type { DB } from '../db/database';
import type { Logger } from '../platform/logger';
import { createCustomerEventActivities } from './customer-events';
import { createMaintenanceActivities } from './maintenance';
import { createMessageActivities } from './messages';
import type { MessagingContext } from '../db/messaging/queue';
import { createSegmentListActivities } from './segment-lists';
import { createSegmentActivities } from './segments';

/** Every activity the worker registers, bound to its dependencies. */
export function createActivities(db: DB, log: Logger, messaging: MessagingContext) {
  return {
    ...createCustomerEventActivities(db, log),
    ...createMaintenanceActivities(db, log),
    ...createMessageActivities(db, log, messaging),
    ...createSegmentActivities(db, log),
    ...createSegmentListActivities(db, log),
  };
}
