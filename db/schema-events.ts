import type { ColumnType, Generated } from 'kysely';
import type { CreatedAt } from './schema-columns';

/** Tables of customer events' registered types and of anonymous visitors who identified (0018). */

export type CustomerEventTypeStatus = 'active' | 'archived';

export interface CustomerEventTypeTable {
  id: Generated<number>;
  program_id: number;
  /** `cart.updated`, `app.opened`, any custom type; unique in the program. */
  type: string;
  description: string | null;
  /** The JSON Schema (a checked subset, engine/events/properties-schema.ts) of the events' properties. */
  properties_schema: ColumnType<Record<string, unknown>, string, string>;
  /** 1 when registered; every update adds one. Events record the version that checked them. */
  version: ColumnType<number, number | undefined, number>;
  status: ColumnType<CustomerEventTypeStatus, CustomerEventTypeStatus | undefined, CustomerEventTypeStatus>;
  created_at: CreatedAt;
  updated_at: ColumnType<Date, Date | string | undefined, Date | string>;
  /** `api-key:12`, `staff:3`. */
  updated_by: string;
}

/** An anonymous visitor id that identified as a customer: it resolves to the customer from then on. */
export interface CustomerEventIdentityTable {
  program_id: number;
  anonymous_id: string;
  customer_id: number;
  identified_at: CreatedAt;
}
