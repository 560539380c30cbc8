import type { Kysely } from 'kysely';
import type { Database } from './schema';

export interface AuditRecord {
  programId: number;
  /** Who: `staff:3`, `api-key:12`, `customer:7`, `system:expiry`. */
  actor: string;
  action: string;
  /** What about: `customer:42`, `card:9`, `program:1`. */
  subject: string;
  changes: Record<string, unknown>;
  /** Business time of the change. */
  occurredAt: Date;
}

/** Appends who changed what, in the caller's transaction: the record exists if and only if the change does. */
export async function recordAudit(db: Kysely<Database>, record: AuditRecord): Promise<void> {
  await db
    .insertInto('audit_log')
    .values({
      program_id: record.programId,
      actor: record.actor,
      action: record.action,
      subject: record.subject,
      changes: JSON.stringify(record.changes),
      occurred_at: record.occurredAt,
    })
    .execute();
}
