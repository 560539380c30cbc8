import { queueFallbacks } from '../../db/messaging/fallback';
import { recordInbound } from '../../db/messaging/inbound';
import { providerConnection, telegramWebhookSecret } from '../../db/messaging/providers';
import { parseTelegramUpdate, verifyTelegramSecret } from '../../engine/messaging/telegram-update';
import { parseViberCallback, verifyViberSignature } from '../../engine/messaging/viber-callback';
import { DomainError } from '../../engine/errors';
import { z } from 'zod';
import type { ApiApp, ApiDependencies } from '../types';

const refused = () =>
  new DomainError('bad_signature', 'the callback is not signed by this provider', 401, 'headers');

const params = z.object({ providerId: z.coerce.number().int().positive() }).strict();

/**
 * Callbacks of the bots' platforms: delivered / seen / failed receipts, unsubscribes, replies ("STOP")
 * and deep-link tokens (a customer linking their chat). No API key: Viber signs each body with the bot
 * token, Telegram repeats the secret given to it at setWebhook. A call that fails the check is a 401;
 * everything else is 200 at once, since the platforms retry what they think was not taken.
 */
export function registerMessagingWebhookRoutes(app: ApiApp, deps: ApiDependencies): void {
  const apply = async (
    programId: number,
    providerId: number,
    channel: 'viber' | 'telegram',
    events: Parameters<typeof recordInbound>[2],
  ) => {
    const failed = await recordInbound(deps.db, { programId, providerId, channel }, events);
    await queueFallbacks(deps.db, deps.messaging, failed, new Date());
  };

  app.post(
    '/v1/webhooks/viber/:providerId',
    {
      config: { rawBody: true },
      schema: {
        summary: "Viber's callbacks for a provider (signed with X-Viber-Content-Signature)",
        tags: ['webhooks'],
        params,
      },
    },
    async (request, reply) => {
      const provider = await providerConnection(deps.db, request.params.providerId, deps.secret);
      const raw = request.rawBody ?? '';
      if (
        provider?.config.channel !== 'viber' ||
        !verifyViberSignature(
          raw,
          request.headers['x-viber-content-signature'] as string | undefined,
          provider.config.credentials.authToken,
        )
      ) {
        throw refused();
      }
      await apply(provider.programId, provider.id, 'viber', parseViberCallback(raw));
      return reply.status(200).send({});
    },
  );

  app.post(
    '/v1/webhooks/telegram/:providerId',
    {
      schema: {
        summary: "Telegram's updates for a provider's bot (X-Telegram-Bot-Api-Secret-Token)",
        tags: ['webhooks'],
        params,
      },
    },
    async (request, reply) => {
      const provider = await providerConnection(deps.db, request.params.providerId, deps.secret);
      if (
        provider?.config.channel !== 'telegram' ||
        !verifyTelegramSecret(
          request.headers['x-telegram-bot-api-secret-token'] as string | undefined,
          telegramWebhookSecret(deps.secret, provider.id),
        )
      ) {
        throw refused();
      }
      await apply(provider.programId, provider.id, 'telegram', parseTelegramUpdate(request.body));
      return reply.status(200).send({});
    },
  );
}
