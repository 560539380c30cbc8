import { ApplicationFailure } from '@temporalio/activity';
import type { DB } from '../db/database';
import { queueMessage, type MessagingContext, type QueuedMessage } from '../db/messaging/queue';
import { DomainError } from '../engine/errors';
import type { ChannelKind } from '../engine/messaging/contracts';
import type { Logger } from '../platform/logger';

/** A message a workflow sends (a journey's send node, a system workflow's notice). */
export interface SendMessageInput {
  programId: number;
  customerId: number;
  template: string;
  channels?: ChannelKind[];
  campaign?: string;
  couponId?: number;
  variables?: { link?: string };
  /** The business time the message is about: the triggering event's, or the timer's. */
  occurredAt: string;
  /**
   * From the workflow: its id, the node and the visit (`journey:7:42/send-welcome/1`), so a retried
   * activity queues nothing twice while the next visit (next year's birthday) still sends.
   */
  idempotencyKey: string;
}

/**
 * Workflows send through the same queue as the API: the activity queues the message (rules, render,
 * log) in one transaction and the worker's sender submits it. A refusal of the rules is an answer
 * (`skipped` with its reason), not a failure; a message that cannot be sent at all (no template, no
 * channel for a transactional one) is a non-retryable failure naming why.
 */
export function createMessageActivities(db: DB, _log: Logger, context: MessagingContext) {
  return {
    async sendMessage(input: SendMessageInput): Promise<QueuedMessage> {
      try {
        return await db
          .transaction()
          .execute((trx) =>
            queueMessage(
              trx,
              context,
              { ...input, kind: 'template', occurredAt: new Date(input.occurredAt) },
              new Date(),
            ),
          );
      } catch (error) {
        if (error instanceof DomainError) {
          throw ApplicationFailure.nonRetryable(error.message, error.code, { field: error.field });
        }
        throw error;
      }
    },
  };
}
