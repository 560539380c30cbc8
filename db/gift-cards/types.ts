import { randomBytes } from 'node:crypto';
import { sql, type Kysely, type Selectable } from 'kysely';
import { createNumberGenerator, maxIssuable } from '../../engine/cards/number-template';
import { DomainError } from '../../engine/errors';
import type { GiftCardType } from '../../engine/gift-cards/contracts';
import type { GiftCardTypeInput } from '../../engine/gift-cards/gift-card-type';
import { recordAudit } from '../audit';
import type { Trx } from '../ledger/store';
import type { Database, GiftCardTypeTable } from '../schema';

interface Actor {
  programId: number;
  actor: string;
}

const typeColumns = [
  'id',
  'code',
  'name',
  'kind',
  'currency',
  'nominals',
  'min_amount',
  'max_amount',
  'validity_days',
  'prefix',
  'length',
  'luhn',
  'created_at',
] as const;

function toType(row: Pick<Selectable<GiftCardTypeTable>, (typeof typeColumns)[number]>): GiftCardType {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    currency: row.currency,
    // bigint[] arrives as strings: pg parses only scalar int8 as numbers here
    nominals: row.nominals?.map(Number) ?? null,
    minAmount: row.min_amount,
    maxAmount: row.max_amount,
    validityDays: row.validity_days,
    numbers: { prefix: row.prefix, length: row.length, luhn: row.luhn },
    createdAt: row.created_at.toISOString(),
  };
}

/** A gift card type in the program's money currency, with a fresh key for its numbers and PINs. */
export async function createGiftCardType(
  trx: Kysely<Database>,
  input: Actor & GiftCardTypeInput,
): Promise<GiftCardType> {
  const program = await trx
    .selectFrom('programs')
    .select('currency')
    .where('id', '=', input.programId)
    .executeTakeFirstOrThrow();
  const nominals = input.nominals ? [...input.nominals].sort((a, b) => a - b) : null;
  const row = await trx
    .insertInto('gift_card_types')
    .values({
      program_id: input.programId,
      code: input.code,
      name: input.name,
      kind: input.kind,
      currency: program.currency,
      nominals: nominals ? sql<number[]>`${`{${nominals.join(',')}}`}::bigint[]` : null,
      min_amount: input.minAmount ?? null,
      max_amount: input.maxAmount ?? null,
      validity_days: input.validityDays,
      prefix: input.numbers.prefix,
      length: input.numbers.length,
      luhn: input.numbers.luhn,
      secret_key: randomBytes(32),
    })
    .onConflict((oc) => oc.columns(['program_id', 'code']).doNothing())
    .returning(typeColumns)
    .executeTakeFirst();
  if (!row)
    throw new DomainError('gift_card_type_exists', `gift card type "${input.code}" exists`, 409, 'code');
  const type = toType(row);
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'gift_card_type.create',
    subject: `gift_card_type:${type.id}`,
    changes: { ...type },
    occurredAt: new Date(),
  });
  return type;
}

export async function listGiftCardTypes(db: Kysely<Database>, programId: number): Promise<GiftCardType[]> {
  const rows = await db
    .selectFrom('gift_card_types')
    .select(typeColumns)
    .where('program_id', '=', programId)
    .orderBy('id')
    .execute();
  return rows.map(toType);
}

/** A type's terms and the next `count` numbers of its template, taken under the type's row lock. */
export async function reserveGiftCardNumbers(
  trx: Trx,
  programId: number,
  typeId: number,
  count: number,
): Promise<{ type: GiftCardType; startIndex: number; numbers: string[] }> {
  const row = await trx
    .updateTable('gift_card_types')
    .set((eb) => ({ next_index: eb('next_index', '+', count) }))
    .where('id', '=', typeId)
    .where('program_id', '=', programId)
    .returning([...typeColumns, 'next_index', 'secret_key'])
    .executeTakeFirst();
  if (!row) throw new DomainError('gift_card_type_not_found', `no gift card type ${typeId}`, 404, 'typeId');
  const template = { prefix: row.prefix, length: row.length, luhn: row.luhn };
  const startIndex = row.next_index - count;
  if (row.next_index > maxIssuable(template)) {
    throw new DomainError(
      'gift_card_numbers_exhausted',
      `the type's template issues at most ${maxIssuable(template)} numbers; ${startIndex} are taken`,
      422,
      'count',
    );
  }
  const numbers = createNumberGenerator(template, row.secret_key).generate(startIndex, count);
  return { type: toType(row), startIndex, numbers };
}

/**
 * Prints a batch of plastic cards: `count` new inactive cards numbered by the type's template, in the
 * caller's transaction. Numbers another type already holds fail the batch with 409.
 */
export async function issueGiftCardBatch(
  trx: Trx,
  input: Actor & { typeId: number; count: number },
): Promise<{ batchId: number; typeId: number; count: number; numbers: string[] }> {
  const { type, startIndex, numbers } = await reserveGiftCardNumbers(
    trx,
    input.programId,
    input.typeId,
    input.count,
  );
  if (type.kind !== 'plastic') {
    throw new DomainError(
      'gift_card_type_electronic',
      'e-certificates get their number when sold: batches are for plastic cards',
      422,
      'typeId',
    );
  }
  const batch = await trx
    .insertInto('gift_card_batches')
    .values({
      program_id: input.programId,
      type_id: type.id,
      start_index: startIndex,
      count: input.count,
      created_by: input.actor,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const inserted = await sql<{ n: number }>`
    with written as (
      insert into gift_cards (program_id, type_id, batch_id, number)
      select ${input.programId}, ${type.id}, ${batch.id}, n
      from unnest(string_to_array(${numbers.join(',')}::text, ',')) as n
      on conflict (program_id, number) do nothing
      returning 1
    )
    select count(*)::int as n from written`.execute(trx);
  if (inserted.rows[0]!.n !== numbers.length) {
    throw new DomainError(
      'gift_card_number_taken',
      'numbers of this batch belong to another gift card type with the same prefix: nothing was written',
      409,
      'typeId',
    );
  }
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action: 'gift_card_batch.issue',
    subject: `gift_card_type:${type.id}`,
    changes: { batchId: batch.id, count: input.count, startIndex },
    occurredAt: new Date(),
  });
  return { batchId: batch.id, typeId: type.id, count: input.count, numbers };
}
