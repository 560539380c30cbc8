import type { Kysely } from 'kysely';
import { checkPropertiesSchema } from '../../engine/events';
import type { Database } from '../schema';

/** The web shop's and app's usual events, with the properties the demo expects of them. */
const demoEventTypes: Record<string, { description: string; schema: Record<string, unknown> }> = {
  'app.opened': {
    description: 'The mobile app came to the foreground',
    schema: {
      type: 'object',
      properties: { screen: { type: 'string' }, platform: { enum: ['ios', 'android', 'web'] } },
    },
  },
  'cart.updated': {
    description: "The web shop's cart changed",
    schema: {
      type: 'object',
      properties: {
        cartId: { type: 'string', minLength: 1 },
        total: { type: 'integer', minimum: 0, description: 'minor units' },
        items: {
          type: 'array',
          items: {
            type: 'object',
            properties: { sku: { type: 'string' }, quantity: { type: 'number', exclusiveMinimum: 0 } },
            required: ['sku', 'quantity'],
          },
        },
      },
      required: ['cartId', 'total'],
    },
  },
  'order.placed': {
    description: 'An order placed in the web shop',
    schema: {
      type: 'object',
      properties: { orderId: { type: 'string', minLength: 1 }, total: { type: 'integer', minimum: 0 } },
      required: ['orderId', 'total'],
    },
  },
  'social.shared': {
    description: 'The customer shared something on a social network',
    schema: {
      type: 'object',
      properties: { network: { type: 'string' }, url: { type: 'string', format: 'uri' } },
      required: ['network'],
    },
  },
};

/** Registers the demo's event types where missing (every start: older demo data gains them too). */
export async function seedDemoEventTypes(db: Kysely<Database>, programId: number): Promise<void> {
  await db
    .insertInto('customer_event_types')
    .values(
      Object.entries(demoEventTypes).map(([type, { description, schema }]) => ({
        program_id: programId,
        type,
        description,
        properties_schema: JSON.stringify(checkPropertiesSchema(schema)),
        updated_by: 'demo',
      })),
    )
    .onConflict((oc) => oc.columns(['program_id', 'type']).doNothing())
    .execute();
}
