import type { Migration } from 'kysely';
import * as m0001 from './0001_foundation';

/** Every migration, in order. Forward-only: a new schema change is a new file added here. */
export const migrations: Record<string, Migration> = {
  '0001_foundation': m0001,
};
