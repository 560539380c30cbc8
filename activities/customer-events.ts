import { Context } from '@temporalio/activity';
import { markCustomerEventProcessed } from '../db/commands/mark-customer-event-processed';
import type { DB } from '../db/database';
import type { Logger } from '../platform/logger';

export interface CustomerEventActivities {
  markCustomerEventProcessed(input: {
    eventId: string;
    requestId: string | null;
  }): Promise<{ marked: boolean }>;
}

export function createCustomerEventActivities(db: DB, log: Logger): CustomerEventActivities {
  return {
    async markCustomerEventProcessed({ eventId, requestId }) {
      const { workflowId } = Context.current().info.workflowExecution ?? { workflowId: 'unknown' };
      const result = await markCustomerEventProcessed(db, {
        eventId,
        processedBy: workflowId,
        processedAt: new Date(),
      });
      log.info({ eventId, requestId, workflowId, ...result }, 'customer event processed');
      return result;
    },
  };
}
