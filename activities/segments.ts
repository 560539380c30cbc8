import type { DB } from '../db/database';
import { recomputeProgramSegments } from '../db/segments';
import type { Logger } from '../platform/logger';

/** What a full recompute did to one program's segments. */
export interface ProgramRecompute {
  programId: number;
  /** Active segments recomputed, each after the segments it refers to. */
  segments: number;
  /** Customers who entered / left a segment, over all its segments. */
  entered: number;
  left: number;
  /** Memberships now, over all its segments. */
  members: number;
}

export interface SegmentRecomputeReport {
  /** The business time the recompute evaluated at (the workflow's start). */
  at: string;
  programs: ProgramRecompute[];
}

/**
 * Adapters of the scheduled full segment recompute. Both are idempotent: recomputing a program at
 * the same time again finds its memberships already right and changes nothing (no events either).
 */
export function createSegmentActivities(db: DB, log: Logger) {
  return {
    /** Programs with at least one active segment, in id order. */
    async programsWithActiveSegments(): Promise<number[]> {
      const rows = await db
        .selectFrom('segments')
        .select('program_id')
        .distinct()
        .where('archived_at', 'is', null)
        .orderBy('program_id')
        .execute();
      return rows.map((r) => Number(r.program_id));
    },

    /**
     * Recomputes every active segment of a program, in dependency order, at this activity's clock:
     * a later program or a retry evaluates at its own time, so it never undoes what the refresher
     * did for purchases recorded after the workflow started. `atIso` names the round in the logs.
     */
    async recomputeProgram(programId: number, atIso: string): Promise<ProgramRecompute> {
      const done = await recomputeProgramSegments(db, { programId, now: new Date() });
      const report: ProgramRecompute = { programId, segments: done.length, entered: 0, left: 0, members: 0 };
      for (const { change } of done) {
        report.entered += change.entered;
        report.left += change.left;
        report.members += change.members;
      }
      log.info({ at: atIso, ...report }, 'segments recomputed');
      return report;
    },
  };
}

export type SegmentActivities = ReturnType<typeof createSegmentActivities>;
