import { setTelegramWebhook } from '../../activities/channels/telegram';
import { setViberWebhook } from '../../activities/channels/viber';
import {
  createProvider,
  listProviders,
  providerConnection,
  telegramWebhookSecret,
  updateProvider,
  webhookUrl,
} from '../../db/messaging/providers';
import { DomainError } from '../../engine/errors';
import { createProviderSchema, providerSchema, updateProviderSchema } from '../../engine/messaging/providers';
import { z } from 'zod';
import { actingAs } from '../auth';
import { mutation } from '../idempotent-route';
import { read, readByBody } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

const scope = 'messages:manage';

/** A program's gateways: SMSC (SMPP), SMTP relay, Viber bot, Telegram bot. */
export function registerMessageProviderRoutes(app: ApiApp, deps: ApiDependencies): void {
  const context = { secret: deps.secret, apiUrl: deps.messaging.apiUrl };

  mutation(app, deps, {
    url: '/v1/messaging/providers',
    scope,
    summary: 'Connect a gateway: an SMSC over SMPP 3.4, an SMTP relay, a Viber bot or a Telegram bot',
    description:
      "`credentials` (SMPP password, SMTP login, bot tokens) are sealed at rest with a key derived from the server secret and never returned or logged: answers list only which fields are set. A Viber or Telegram provider then needs `/v1/messaging/providers/connect` to point the bot's webhook at `webhookUrl`.",
    body: createProviderSchema,
    response: providerSchema,
    status: 201,
    run: (trx, body, principal) => createProvider(trx, { ...actingAs(principal), ...context, ...body }),
  });

  mutation(app, deps, {
    url: '/v1/messaging/providers/update',
    scope,
    summary: "Change a gateway's settings, priority, status or credentials",
    description:
      'Settings are replaced as a whole and checked again; credentials left out are kept. The sender reconnects with the new settings on its next message.',
    body: updateProviderSchema,
    response: providerSchema,
    run: (trx, body, principal) => updateProvider(trx, { ...actingAs(principal), ...context, ...body }),
  });

  read(app, deps, {
    url: '/v1/messaging/providers',
    scope: 'messages:read',
    summary: "The program's gateways (credentials never shown)",
    response: z.object({ providers: z.array(providerSchema) }),
    run: async (_input, principal) => ({
      providers: await listProviders(deps.db, { programId: principal.programId, ...context }),
    }),
  });

  readByBody(app, deps, {
    url: '/v1/messaging/providers/connect',
    scope,
    summary: "Point a Viber or Telegram bot's webhook at this API",
    description:
      'Calls the bot API (set_webhook / setWebhook) with `webhookUrl`; Telegram gets a secret token it repeats on every call. Safe to repeat.',
    body: z.object({ name: z.string().min(1).max(64) }).strict(),
    response: z.object({ webhookUrl: z.string() }),
    async run(body, principal) {
      const row = await deps.db
        .selectFrom('message_providers')
        .select(['id', 'channel'])
        .where('program_id', '=', principal.programId)
        .where('name', '=', body.name)
        .executeTakeFirst();
      const provider = row && (await providerConnection(deps.db, row.id, deps.secret));
      if (!row || !provider)
        throw new DomainError('provider_not_found', `no active provider "${body.name}"`, 404, 'name');
      const url = webhookUrl(deps.messaging.apiUrl, row);
      const { config } = provider;
      if (!url || (config.channel !== 'viber' && config.channel !== 'telegram')) {
        throw new DomainError('no_webhook', `a ${row.channel} provider has no webhook`, 422, 'name');
      }
      try {
        if (config.channel === 'viber') {
          await setViberWebhook({ ...config.settings, authToken: config.credentials.authToken }, url, [
            'delivered',
            'seen',
            'failed',
            'subscribed',
            'unsubscribed',
            'conversation_started',
          ]);
        } else {
          await setTelegramWebhook(
            { baseUrl: config.settings.baseUrl, botToken: config.credentials.botToken },
            url,
            telegramWebhookSecret(deps.secret, row.id),
          );
        }
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        throw new DomainError(
          'provider_refused',
          `the ${config.channel} API refused: ${reason}`,
          422,
          'name',
        );
      }
      return { webhookUrl: url };
    },
  });
}
