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

/** One static list upload (CSV), processed in the background by segmentListUploadWorkflow. */
export interface SegmentListUploadTable {
  id: Generated<number>;
  program_id: number;
  list_code: string;
  list_name: string;
  identifier_kind: string;
  mode: 'replace' | 'add';
  status: ColumnType<
    'queued' | 'running' | 'done' | 'failed',
    'queued' | 'running' | 'done' | 'failed' | undefined,
    'queued' | 'running' | 'done' | 'failed'
  >;
  rows_total: number;
  rows_done: ColumnType<number, number | undefined, number>;
  chunks: number;
  added: number | null;
  removed: number | null;
  members: number | null;
  error_count: ColumnType<number, number | undefined, number>;
  /** The first 1 000 per-line errors, in line order. */
  errors: ColumnType<{ line: number; value: string; message: string }[], string | undefined, string>;
  failure: string | null;
  actor: string;
  created_at: CreatedAt;
  started_at: Date | null;
  finished_at: Date | null;
}

/** An upload's lines, a chunk the workflow resolves in one activity. */
export interface SegmentListUploadChunkTable {
  upload_id: number;
  chunk: number;
  lines: number[];
  values: string[];
  done_at: Date | null;
}

/** The customers an upload's resolved lines name (staging, deleted when the upload is applied). */
export interface SegmentListUploadCustomerTable {
  upload_id: number;
  customer_id: number;
}
