import type { ColumnType } from 'kysely';

/** Set by the database on insert, never written by the application. */
export type CreatedAt = ColumnType<Date, Date | string | undefined, never>;
/** A jsonb column: read as T, written as JSON text. */
export type Json<T> = ColumnType<T, string, string>;
