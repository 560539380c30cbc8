import { z } from 'zod';
import {
  createTemplate,
  getTemplate,
  listTemplates,
  setTemplateStatus,
  updateTemplate,
} from '../../db/messaging/templates';
import { previewVariables } from '../../db/messaging/template-variables';
import {
  templateVariableCatalogue,
  templateVariableCatalogueSchema,
} from '../../engine/messaging/template-catalogue';
import {
  createTemplateSchema,
  templateKeySchema,
  templateListQuerySchema,
  templateListSchema,
  templatePreviewRequestSchema,
  templatePreviewSchema,
  templateRefSchema,
  templateSchema,
  templateVersionQuerySchema,
  updateTemplateSchema,
} from '../../engine/messaging/template-content';
import {
  checkTemplateContent,
  renderTemplate,
  templateVariablesUsed,
} from '../../engine/messaging/templates';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read, readByBody } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const manage = 'messages:manage';
const readScope = 'messages:read';

const contentRules =
  'Every text is Liquid: a syntax error is a 422 naming the field and its line (content.sms.ru.text, line 2); ' +
  'variables must be in the catalogue (GET /v1/message-templates/variables; customer.attributes.* takes any ' +
  'questionnaire key; names a loop or assign defines are the template’s own); filters are Liquid’s and ' +
  'money, date (in the customer’s time zone) and plural. Files cannot be included.';

/** Message templates: Liquid per channel and locale, versioned, previewed with a real customer's data. */
export function registerMessageTemplateRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/message-templates',
    scope: manage,
    summary: 'Create a message template (version 1)',
    description: `${contentRules} A key used before (archived too) is a 409 naming key.`,
    body: createTemplateSchema,
    response: templateSchema,
    status: 201,
    run: (trx, body, principal) => createTemplate(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/message-templates/update',
    scope: manage,
    summary: "Save a template's next version",
    description: `Messages rendered before keep the version they were rendered from. ${contentRules}`,
    body: updateTemplateSchema,
    response: templateSchema,
    run: (trx, body, principal) => updateTemplate(trx, { ...actingAs(principal), ...body }),
  });

  mutation(app, deps, {
    url: '/v1/message-templates/archive',
    scope: manage,
    summary: 'Archive a template: nothing new is sent from it until it is restored',
    body: templateRefSchema,
    response: templateSchema,
    run: (trx, body, principal) =>
      setTemplateStatus(trx, { ...actingAs(principal), key: body.key, status: 'archived' }),
  });

  mutation(app, deps, {
    url: '/v1/message-templates/restore',
    scope: manage,
    summary: 'Restore an archived template',
    body: templateRefSchema,
    response: templateSchema,
    run: (trx, body, principal) =>
      setTemplateStatus(trx, { ...actingAs(principal), key: body.key, status: 'active' }),
  });

  read(app, deps, {
    url: '/v1/message-templates',
    scope: readScope,
    summary: "The program's templates with their latest content (active by default)",
    querystring: templateListQuerySchema,
    response: templateListSchema,
    run: async ({ query }, principal) => ({
      templates: await listTemplates(deps.db, principal.programId, query),
    }),
  });

  read(app, deps, {
    url: '/v1/message-templates/variables',
    scope: readScope,
    summary: 'The variables a template may use, with their descriptions',
    response: templateVariableCatalogueSchema,
    run: async () => ({ variables: [...templateVariableCatalogue] }),
  });

  read(app, deps, {
    url: '/v1/message-templates/:key',
    scope: readScope,
    summary: 'A template with its latest content, or an earlier version (?version=1)',
    params: z.object({ key: templateKeySchema }).strict(),
    querystring: templateVersionQuerySchema,
    response: templateSchema,
    run: async ({ params, query }, principal) => {
      const { id: _id, ...template } = await getTemplate(
        deps.db,
        principal.programId,
        params.key,
        query.version,
      );
      return template;
    },
  });

  readByBody(app, deps, {
    url: '/v1/message-templates/preview',
    scope: readScope,
    summary: 'Render a template for one channel with a customer’s data, or with samples',
    description:
      'Give a saved template (key, version) or content not saved yet (checked as when saving: a 422 names ' +
      'the field and line). With `customer`, their profile, balance, expiring points, tier and the coupon ' +
      '`couponId` fill the variables and their locale and time zone apply; without, sample values do. ' +
      'Nothing is sent or written.',
    body: templatePreviewRequestSchema,
    response: templatePreviewSchema,
    run: async (body, principal) => {
      const content =
        body.content ?? (await getTemplate(deps.db, principal.programId, body.key!, body.version)).content;
      // Content not saved yet is checked as saving would check it.
      if (body.content) checkTemplateContent(body.content);
      const { variables, locales, timeZone } = await previewVariables(deps.db, {
        programId: principal.programId,
        customer: body.customer,
        couponId: body.couponId,
        at: new Date(),
      });
      const preferred = [body.locale, ...locales];
      return {
        channel: body.channel,
        ...renderTemplate(content, body.channel, preferred, variables, { timeZone }),
        variables: templateVariablesUsed(content, body.channel, preferred, variables),
      };
    },
  });
}
