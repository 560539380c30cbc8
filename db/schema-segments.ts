import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt, Json } from './schema-columns';

/** Tables of segments: definitions and their versions, membership, static lists, the refresh queue. */

export interface SegmentTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  description: string | null;
  version: number;
  /** The current version's condition tree (engine/segments/definition.ts). */
  definition: Json<unknown>;
  archived_at: Date | null;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | undefined, Date>;
  computed_at: Date | null;
  member_count: ColumnType<number | null, number | null | undefined, number | null>;
  computed_version: ColumnType<number | null, number | null | undefined, number | null>;
}

export interface SegmentVersionTable {
  segment_id: number;
  version: number;
  name: string;
  description: string | null;
  definition: Json<unknown>;
  actor: string;
  created_at: CreatedAt;
}

export interface SegmentMembershipTable {
  id: Generated<number>;
  segment_id: number;
  customer_id: number;
  entered_at: Date;
  left_at: Date | null;
}

export interface SegmentListTable {
  id: Generated<number>;
  program_id: number;
  code: string;
  name: string;
  created_at: CreatedAt;
}

export interface SegmentListMemberTable {
  list_id: number;
  customer_id: number;
  added_at: CreatedAt;
}

/** A customer whose data changed since their segments were evaluated (filled by triggers). */
export interface SegmentRefreshTable {
  id: Generated<number>;
  customer_id: number;
  cause: string;
  recorded_at: CreatedAt;
}
