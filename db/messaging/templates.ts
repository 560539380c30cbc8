import type { Kysely, Selectable, Transaction } from 'kysely';
import type { MessagePurpose } from '../../engine/messaging/contracts';
import { DomainError } from '../../engine/errors';
import type {
  CreateTemplate,
  Template,
  TemplateContent,
  TemplateListQuery,
  TemplateStatus,
  UpdateTemplate,
} from '../../engine/messaging/template-content';
import { checkTemplateContent } from '../../engine/messaging/templates';
import { isSystemTemplate } from './queue-parts';
import { recordAudit } from '../audit';
import type { Database, MessageTemplateTable } from '../schema';

/**
 * Message templates: every save is a new immutable version (a message records the version it was
 * rendered from); archive and restore change the status only. A version's `content` column holds the
 * content (channels by locale) and the description beside it, under `description`: the table has no
 * column of its own for it. Read templates through this file, which separates the two.
 */

type Row = Selectable<MessageTemplateTable>;
type Stored = TemplateContent & { description?: string };

interface Acting {
  programId: number;
  actor: string;
}

/** A row with one of its versions: the latest one unless another was asked for. */
interface Versioned {
  row: Row;
  version: number;
  stored: Stored;
  savedAt: Date;
  savedBy: string;
}

function answer({ row, version, stored, savedAt, savedBy }: Versioned): Template {
  const { description, ...content } = stored;
  return {
    key: row.key,
    purpose: row.purpose,
    topic: row.topic,
    version,
    status: row.status,
    content,
    description: description ?? null,
    updatedAt: savedAt.toISOString(),
    updatedBy: savedBy,
  };
}

const latest = (row: Row, stored: Stored): Versioned => ({
  row,
  version: row.version,
  stored,
  savedAt: row.updated_at,
  savedBy: row.updated_by,
});

const notFound = (key: string) =>
  new DomainError('template_not_found', `no message template "${key}" in this program`, 404, 'key');

/** Marketing templates go out under a consent topic (promotions by default); transactional ones under none. */
function topicFor(
  purpose: MessagePurpose,
  topic: string | undefined,
  current?: string | null,
): string | null {
  if (purpose === 'marketing') return topic ?? current ?? 'promotions';
  if (topic !== undefined) {
    throw new DomainError(
      'topic_not_allowed',
      'a transactional template has no topic: it goes out without marketing consent',
      422,
      'topic',
    );
  }
  return null;
}

const storedOf = (content: TemplateContent, description: string | undefined): Stored =>
  description === undefined ? content : { ...content, description };

/** Creates a template at version 1 after checking its content (a 422 names the field and the line). */
export async function createTemplate(
  trx: Transaction<Database>,
  input: Acting & CreateTemplate,
): Promise<Template> {
  checkTemplateContent(input.content);
  // A program may word a system message its own way; it stays a transactional message.
  if (isSystemTemplate(input.key) && input.purpose !== 'transactional') {
    throw new DomainError(
      'system_template',
      `${input.key} is a system message: its template is transactional`,
      422,
      'purpose',
    );
  }
  const row = await trx
    .insertInto('message_templates')
    .values({
      program_id: input.programId,
      key: input.key,
      purpose: input.purpose,
      topic: topicFor(input.purpose, input.topic),
      updated_by: input.actor,
    })
    .onConflict((oc) => oc.columns(['program_id', 'key']).doNothing())
    .returningAll()
    .executeTakeFirst();
  if (!row) {
    throw new DomainError(
      'template_exists',
      `the message template "${input.key}" exists already (archived ones too: update or restore it)`,
      409,
      'key',
    );
  }
  const stored = storedOf(input.content, input.description);
  await insertVersion(trx, row, stored, input.actor);
  await audit(trx, input, 'message_template.created', row, {
    version: 1,
    purpose: row.purpose,
    topic: row.topic,
  });
  return answer(latest(row, stored));
}

/**
 * Saves new content as the next version; the versions before stay as they were, for the messages
 * rendered from them. Topic and description stay as they were unless given.
 */
export async function updateTemplate(
  trx: Transaction<Database>,
  input: Acting & UpdateTemplate,
): Promise<Template> {
  checkTemplateContent(input.content);
  const current = await lockedTemplate(trx, input.programId, input.key);
  const before = await versionContent(trx, current.id, current.version);
  const topic = topicFor(current.purpose, input.topic, current.topic);
  const row = await trx
    .updateTable('message_templates')
    .set({ version: current.version + 1, topic, updated_at: new Date(), updated_by: input.actor })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const stored = storedOf(input.content, input.description ?? before.description);
  await insertVersion(trx, row, stored, input.actor);
  // The content itself is kept by its version row; the audit names the versions, not a second copy.
  await audit(trx, input, 'message_template.updated', row, {
    version: [current.version, row.version],
    topic: [current.topic, row.topic],
  });
  return answer(latest(row, stored));
}

/** Archives (no new messages from it) or restores a template; the status it has already changes nothing. */
export async function setTemplateStatus(
  trx: Transaction<Database>,
  input: Acting & { key: string; status: TemplateStatus },
): Promise<Template> {
  const current = await lockedTemplate(trx, input.programId, input.key);
  const stored = await versionContent(trx, current.id, current.version);
  if (current.status === input.status) return answer(latest(current, stored));
  const row = await trx
    .updateTable('message_templates')
    .set({ status: input.status, updated_at: new Date(), updated_by: input.actor })
    .where('id', '=', current.id)
    .returningAll()
    .executeTakeFirstOrThrow();
  const action = input.status === 'archived' ? 'message_template.archived' : 'message_template.restored';
  await audit(trx, input, action, row, { status: [current.status, row.status] });
  return answer(latest(row, stored));
}

/** A template with its latest content, or with the content of an earlier `version` (404 naming version). */
export async function getTemplate(
  db: Kysely<Database>,
  programId: number,
  key: string,
  version?: number,
): Promise<Template & { id: number }> {
  const row = await db
    .selectFrom('message_templates')
    .selectAll()
    .where('program_id', '=', programId)
    .where('key', '=', key)
    .executeTakeFirst();
  if (!row) throw notFound(key);
  const wanted = version ?? row.version;
  const saved = await db
    .selectFrom('message_template_versions')
    .select(['content', 'created_at', 'created_by'])
    .where('template_id', '=', row.id)
    .where('version', '=', wanted)
    .executeTakeFirst();
  if (!saved) {
    throw new DomainError(
      'template_version_not_found',
      `the message template "${key}" has versions 1 to ${row.version}`,
      404,
      'version',
    );
  }
  const stored = saved.content as Stored;
  const versioned =
    wanted === row.version
      ? latest(row, stored)
      : { row, version: wanted, stored, savedAt: saved.created_at, savedBy: saved.created_by };
  return { id: row.id, ...answer(versioned) };
}

/** The program's templates with their latest content, by key. */
export async function listTemplates(
  db: Kysely<Database>,
  programId: number,
  query: TemplateListQuery,
): Promise<Template[]> {
  let select = db
    .selectFrom('message_templates as t')
    .innerJoin('message_template_versions as v', (join) =>
      join.onRef('v.template_id', '=', 't.id').onRef('v.version', '=', 't.version'),
    )
    .selectAll('t')
    .select('v.content')
    .where('t.program_id', '=', programId)
    .orderBy('t.key');
  if (query.status !== 'all') select = select.where('t.status', '=', query.status);
  if (query.purpose) select = select.where('t.purpose', '=', query.purpose);
  return (await select.execute()).map(({ content, ...row }) => answer(latest(row, content as Stored)));
}

async function lockedTemplate(trx: Transaction<Database>, programId: number, key: string): Promise<Row> {
  const row = await trx
    .selectFrom('message_templates')
    .selectAll()
    .where('program_id', '=', programId)
    .where('key', '=', key)
    .forUpdate()
    .executeTakeFirst();
  if (!row) throw notFound(key);
  return row;
}

async function versionContent(db: Kysely<Database>, templateId: number, version: number): Promise<Stored> {
  const saved = await db
    .selectFrom('message_template_versions')
    .select('content')
    .where('template_id', '=', templateId)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return saved.content as Stored;
}

async function insertVersion(trx: Transaction<Database>, row: Row, stored: Stored, actor: string) {
  await trx
    .insertInto('message_template_versions')
    .values({
      template_id: row.id,
      version: row.version,
      content: JSON.stringify(stored),
      created_by: actor,
      created_at: row.updated_at,
    })
    .execute();
}

async function audit(
  trx: Transaction<Database>,
  input: Acting,
  action: string,
  row: Row,
  changes: Record<string, unknown>,
) {
  await recordAudit(trx, {
    programId: input.programId,
    actor: input.actor,
    action,
    subject: `message_template:${row.key}`,
    changes,
    occurredAt: row.updated_at,
  });
}
