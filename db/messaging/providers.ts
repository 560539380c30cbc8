import { createHmac } from 'node:crypto';
import type { Kysely, Selectable, Transaction } from 'kysely';
import type { z } from 'zod';
import { DomainError } from '../../engine/errors';
import {
  providerConfigSchema,
  type createProviderSchema,
  type Provider,
  type ProviderConfig,
  type updateProviderSchema,
} from '../../engine/messaging/providers';
import { recordAudit } from '../audit';
import type { Database, MessageProviderTable } from '../schema';
import { seal, unseal } from './sealed';

type Row = Selectable<MessageProviderTable>;

interface Acting {
  programId: number;
  actor: string;
  secret: string;
  /** The engine API's public base URL: providers with callbacks are told where to send them. */
  apiUrl: string;
}

/** The secret Telegram repeats in every webhook call of this provider (derived, so nothing is stored). */
export function telegramWebhookSecret(secret: string, providerId: number): string {
  return createHmac('sha256', secret).update(`telegram-webhook:${providerId}`).digest('base64url');
}

/** Where a Viber or Telegram provider sends its callbacks (set on the provider's side when saved). */
export function webhookUrl(apiUrl: string, row: Pick<Row, 'id' | 'channel'>): string | null {
  return row.channel === 'viber' || row.channel === 'telegram'
    ? `${apiUrl}/v1/webhooks/${row.channel}/${row.id}`
    : null;
}

function answer(row: Row, secret: string, apiUrl: string): Provider {
  const credentials = JSON.parse(unseal(secret, row.credentials)) as Record<string, unknown>;
  return {
    id: row.id,
    name: row.name,
    channel: row.channel,
    priority: row.priority,
    status: row.status,
    settings: row.settings,
    credentialsSet: Object.keys(credentials).sort(),
    webhookUrl: webhookUrl(apiUrl, row),
    updatedAt: row.updated_at.toISOString(),
    updatedBy: row.updated_by,
  };
}

/** A provider's configuration checked whole, so a 422 names the field under `settings` or `credentials`. */
function checkedConfig(config: unknown): ProviderConfig {
  const parsed = providerConfigSchema.safeParse(config);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new DomainError('invalid_provider', issue.message, 422, issue.path.join('.'));
}

async function audit(trx: Transaction<Database>, input: Acting, action: string, row: Row): Promise<void> {
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action,
    subject: `message-provider:${row.id}`,
    // The settings only: credentials never reach the audit log.
    changes: { name: row.name, channel: row.channel, status: row.status, settings: row.settings },
    occurredAt: new Date(),
  });
}

export async function createProvider(
  trx: Transaction<Database>,
  input: Acting & z.infer<typeof createProviderSchema>,
): Promise<Provider> {
  const config = checkedConfig(input);
  const row = await trx
    .insertInto('message_providers')
    .values({
      program_id: input.programId,
      channel: config.channel,
      name: input.name,
      settings: JSON.stringify(config.settings),
      credentials: seal(input.secret, JSON.stringify(config.credentials)),
      priority: input.priority,
      updated_by: input.actor,
    })
    .onConflict((oc) => oc.columns(['program_id', 'name']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row)
    throw new DomainError('provider_exists', `a provider "${input.name}" exists already`, 409, 'name');
  await audit(trx, input, 'message_provider.created', row);
  return answer(row, input.secret, input.apiUrl);
}

/** Changes settings, priority, status or (when given) credentials; what is left out stays. */
export async function updateProvider(
  trx: Transaction<Database>,
  input: Acting & z.infer<typeof updateProviderSchema>,
): Promise<Provider> {
  const current = await trx
    .selectFrom('message_providers')
    .selectAll()
    .where('program_id', '=', input.programId)
    .where('name', '=', input.name)
    .forUpdate()
    .executeTakeFirst();
  if (!current) throw new DomainError('provider_not_found', `no provider "${input.name}"`, 404, 'name');
  const config = checkedConfig({
    channel: current.channel,
    settings: input.settings ?? current.settings,
    credentials: input.credentials ?? JSON.parse(unseal(input.secret, current.credentials)),
  });
  const row = await trx
    .updateTable('message_providers')
    .set({
      settings: JSON.stringify(config.settings),
      credentials: input.credentials
        ? seal(input.secret, JSON.stringify(config.credentials))
        : current.credentials,
      priority: input.priority ?? current.priority,
      status: input.status ?? current.status,
      updated_at: new Date(),
      updated_by: input.actor,
    })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  await audit(trx, input, 'message_provider.updated', row);
  return answer(row, input.secret, input.apiUrl);
}

export async function listProviders(
  db: Kysely<Database>,
  input: { programId: number; secret: string; apiUrl: string },
): Promise<Provider[]> {
  const rows = await db
    .selectFrom('message_providers')
    .selectAll()
    .where('program_id', '=', input.programId)
    .orderBy('channel')
    .orderBy('priority')
    .orderBy('id')
    .execute();
  return rows.map((row) => answer(row, input.secret, input.apiUrl));
}

/** A provider with its credentials opened, for the process that connects to it (the sender). */
export interface ProviderConnection {
  id: number;
  programId: number;
  config: ProviderConfig;
  /** Changes when the provider is saved: a connection built from an older version is replaced. */
  version: string;
}

export async function providerConnection(
  db: Kysely<Database>,
  id: number,
  secret: string,
): Promise<ProviderConnection | null> {
  const row = await db.selectFrom('message_providers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row || row.status !== 'active') return null;
  return {
    id: row.id,
    programId: row.program_id,
    config: checkedConfig({
      channel: row.channel,
      settings: row.settings,
      credentials: JSON.parse(unseal(secret, row.credentials)),
    }),
    version: row.updated_at.toISOString(),
  };
}

/** The active provider tried first for each channel of a program. */
export async function activeProviders(db: Kysely<Database>, programId: number): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('message_providers')
    .select(['id', 'channel'])
    .where('program_id', '=', programId)
    .where('status', '=', 'active')
    .orderBy('priority', 'desc')
    .orderBy('id', 'desc')
    .execute();
  // Ordered so that the last write per channel is the first choice (lowest priority, oldest).
  return new Map(rows.map((row) => [row.channel, row.id]));
}
