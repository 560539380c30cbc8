import type { CustomerEventSignal } from '../engine/contracts/customer-event';
import { customerEventRecordedType } from '../db/events';
import type { OutboxRow } from '../db/schema';
import { listUploadQueuedType } from '../db/segments';
import {
  customerEventSignal,
  customerEventsWorkflow,
  customerEventsWorkflowId,
} from '../workflows/customer-events';
import {
  listUploadQueuedSignal,
  segmentListUploadWorkflow,
  segmentListUploadWorkflowId,
} from '../workflows/segment-lists';

/** A signal-with-start the dispatcher sends for one outbox event. */
export interface SignalTarget {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  signal: string;
  signalArgs: unknown[];
  /** Keyword search attributes set when the signal starts the workflow. */
  searchAttributes: Record<string, string>;
}

export interface RouteOptions {
  /** How long a customer's event workflow waits idle before completing. */
  customerIdleTimeoutMs: number;
}

/** Which workflows an outbox event goes to; an event no workflow listens to has no targets. */
export function routeOutboxEvent(row: OutboxRow, options: RouteOptions): SignalTarget[] {
  if (row.type === customerEventRecordedType) {
    const payload = row.payload as { customerKey: string; eventType: string };
    const signal: CustomerEventSignal = {
      eventId: row.event_id,
      sequence: row.id,
      programId: row.program_id,
      customerKey: payload.customerKey,
      type: payload.eventType,
      occurredAt: row.occurred_at.toISOString(),
      requestId: row.request_id,
    };
    return [
      {
        workflowType: customerEventsWorkflow.name,
        workflowId: customerEventsWorkflowId(row.program_id, payload.customerKey),
        args: [
          {
            programId: row.program_id,
            customerKey: payload.customerKey,
            idleTimeoutMs: options.customerIdleTimeoutMs,
          },
        ],
        signal: customerEventSignal.name,
        signalArgs: [signal],
        searchAttributes: {
          LoyalflowProgramId: String(row.program_id),
          LoyalflowCustomerKey: payload.customerKey,
        },
      },
    ];
  }
  if (row.type === listUploadQueuedType) {
    const { uploadId } = row.payload as { uploadId: number };
    return [
      {
        workflowType: segmentListUploadWorkflow.name,
        workflowId: segmentListUploadWorkflowId(uploadId),
        args: [{ uploadId }],
        signal: listUploadQueuedSignal.name,
        signalArgs: [{ uploadId }],
        searchAttributes: { LoyalflowProgramId: String(row.program_id) },
      },
    ];
  }
  return [];
}
