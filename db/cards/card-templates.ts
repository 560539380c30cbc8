import { randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import {
  cardNumberTemplateSchema,
  createNumberGenerator,
  maxIssuable,
  type CardNumberTemplateInput,
} from '../../engine/cards/number-template';
import { lotPolicySchema, type LotPolicy } from '../../engine/ledger/lot-policy';
import { DomainError } from '../../engine/errors';
import { generateCardPool } from '../card-pools';
import type { DB } from '../database';
import type { Trx } from '../ledger/store';
import type { Database } from '../schema';

export async function createCardType(
  trx: Kysely<Database>,
  input: { programId: number; code: string; name: string; lotPolicy?: LotPolicy },
): Promise<number> {
  const existing = await trx
    .selectFrom('card_types')
    .select('id')
    .where('program_id', '=', input.programId)
    .where('code', '=', input.code)
    .executeTakeFirst();
  if (existing) throw new DomainError('card_type_exists', `card type ${input.code} exists`, 409, 'code');
  const { id } = await trx
    .insertInto('card_types')
    .values({
      program_id: input.programId,
      code: input.code,
      name: input.name,
      lot_policy: JSON.stringify(lotPolicySchema.parse(input.lotPolicy ?? {})),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return id;
}

/** A number template of a card type, with a fresh secret key for its number permutation. */
export async function createCardTemplate(
  trx: Kysely<Database>,
  input: { programId: number; cardTypeId: number; code: string; template: CardNumberTemplateInput },
): Promise<{ id: number; maxIssuable: number }> {
  const template = cardNumberTemplateSchema.parse(input.template);
  const type = await trx
    .selectFrom('card_types')
    .select('id')
    .where('id', '=', input.cardTypeId)
    .where('program_id', '=', input.programId)
    .executeTakeFirst();
  if (!type)
    throw new DomainError('card_type_not_found', `no card type ${input.cardTypeId}`, 404, 'cardTypeId');
  const { id } = await trx
    .insertInto('card_templates')
    .values({
      program_id: input.programId,
      card_type_id: input.cardTypeId,
      code: input.code,
      prefix: template.prefix,
      length: template.length,
      luhn: template.luhn,
      secret_key: randomBytes(32),
    })
    .onConflict((oc) => oc.columns(['program_id', 'code']).doNothing())
    .returning('id')
    .executeTakeFirst()
    .then((row) => {
      if (!row) throw new DomainError('card_template_exists', `template ${input.code} exists`, 409, 'code');
      return row;
    });
  return { id, maxIssuable: maxIssuable(template) };
}

interface Reserved {
  startIndex: number;
  cardTypeId: number;
  template: { prefix: string; length: number; luhn: boolean };
  secretKey: Buffer;
}

/** Takes the next `count` sequence indexes of a template; never more than the template may issue. */
async function reserveIndexes(
  trx: Kysely<Database>,
  programId: number,
  templateId: number,
  count: number,
): Promise<Reserved> {
  const row = await trx
    .updateTable('card_templates')
    .set((eb) => ({ next_index: eb('next_index', '+', count) }))
    .where('id', '=', templateId)
    .where('program_id', '=', programId)
    .returning(['next_index', 'card_type_id', 'prefix', 'length', 'luhn', 'secret_key'])
    .executeTakeFirst();
  if (!row)
    throw new DomainError('card_template_not_found', `no card template ${templateId}`, 404, 'templateId');
  const template = { prefix: row.prefix, length: row.length, luhn: row.luhn };
  const startIndex = row.next_index - count;
  if (row.next_index > maxIssuable(template)) {
    throw new DomainError(
      'template_exhausted',
      `the template may issue ${maxIssuable(template)} numbers (1/1000 of its valid ones); ${startIndex} are taken`,
      422,
      'count',
    );
  }
  return { startIndex, cardTypeId: row.card_type_id, template, secretKey: row.secret_key };
}

/**
 * Issues a pool of new (unbound) cards: the index range is reserved and recorded first, then the cards
 * are written in one transaction of their own. A range whose writing failed is never reused.
 */
export async function issueCardPool(
  db: DB,
  input: { programId: number; templateId: number; count: number; virtual: boolean },
): Promise<{ poolId: number; inserted: number; ms: number }> {
  const { reserved, poolId } = await db.transaction().execute(async (trx) => {
    const r = await reserveIndexes(trx, input.programId, input.templateId, input.count);
    const pool = await trx
      .insertInto('card_pools')
      .values({
        template_id: input.templateId,
        start_index: r.startIndex,
        count: input.count,
        virtual: input.virtual,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { reserved: r, poolId: pool.id };
  });
  const written = await generateCardPool(db, {
    programId: input.programId,
    cardTypeId: reserved.cardTypeId,
    template: reserved.template,
    startIndex: reserved.startIndex,
    count: input.count,
    secretKey: reserved.secretKey,
    virtual: input.virtual,
    poolId,
  });
  return { poolId, ...written };
}

/** A virtual card for a customer, numbered from the template, active at once. */
export async function issueVirtualCard(
  trx: Trx,
  input: { programId: number; templateId: number; customerId: number },
): Promise<{ cardId: number; number: string }> {
  const reserved = await reserveIndexes(trx, input.programId, input.templateId, 1);
  const number = createNumberGenerator(reserved.template, reserved.secretKey).numberAt(reserved.startIndex);
  const { id } = await trx
    .insertInto('cards')
    .values({
      program_id: input.programId,
      card_type_id: reserved.cardTypeId,
      number,
      status: 'active',
      virtual: true,
      customer_id: input.customerId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('identifiers')
    .values({
      program_id: input.programId,
      kind: 'card',
      value: number,
      customer_id: input.customerId,
      card_id: id,
    })
    .execute();
  return { cardId: id, number };
}
