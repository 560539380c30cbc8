import { telegramDeepLink } from '../../activities/channels/telegram';
import { viberDeepLink } from '../../activities/channels/viber';
import { programCustomer } from '../../db/customers/program-customer';
import { createLinkToken } from '../../db/messaging/channel-links';
import { campaignSummary, messageDetail, messageLog } from '../../db/messaging/log';
import { providerConnection } from '../../db/messaging/providers';
import { queueMessage } from '../../db/messaging/queue';
import { DomainError } from '../../engine/errors';
import {
  campaignMessagesQuerySchema,
  campaignSummarySchema,
  channelLinkRequestSchema,
  channelLinkSchema,
  customerMessagesQuerySchema,
  messageDetailSchema,
  messageIdParamsSchema,
  messagePageSchema,
  queuedMessageSchema,
  sendMessageSchema,
} from '../../engine/messaging/message-contracts';
import { z } from 'zod';
import { idempotencyKeyOf } from '../auth';
import { mutation } from '../idempotent-route';
import { read, readByBody } from '../read-route';
import type { ApiApp, ApiDependencies } from '../types';

/** Sending one message, the message log per customer and per campaign, and bot-link deep links. */
export function registerMessageRoutes(app: ApiApp, deps: ApiDependencies): void {
  mutation(app, deps, {
    url: '/v1/messages',
    scope: 'messages:manage',
    summary: 'Send a customer a templated message',
    description:
      "Queued in this call's transaction and sent after it commits. The first channel in `channels` (else the program's fallback order) that has the template's content, the customer's contact, a provider and — for marketing — consent is used; the rest stay as its fallback chain. Marketing waits out quiet hours and is skipped (recorded, with the reason) past the customer's or the program's cap. A transactional message no channel can deliver is a 503 `channel_unavailable`.",
    body: sendMessageSchema,
    response: queuedMessageSchema,
    status: 202,
    async run(trx, body, principal, request) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      return queueMessage(
        trx,
        deps.messaging,
        {
          programId: program.id,
          customerId,
          template: body.template,
          channels: body.channels,
          kind: 'template',
          campaign: body.campaign ?? null,
          idempotencyKey: `api:${principal.apiKeyId}:${idempotencyKeyOf(request)}`,
          occurredAt: new Date(body.occurredAt),
          variables: body.variables,
          couponId: body.couponId,
        },
        new Date(),
      );
    },
  });

  readByBody(app, deps, {
    url: '/v1/messages/customer',
    scope: 'messages:read',
    summary: "A customer's messages, newest first, with their delivery status",
    description:
      'queued, sending, sent, delivered, failed, unknown (interrupted while sending: never resent), skipped (with the reason); opened, clicked and seen where the channel tells. One-time codes are masked.',
    body: customerMessagesQuerySchema,
    response: messagePageSchema,
    async run(body, principal) {
      const { customerId } = await programCustomer(deps.db, principal.programId, body.customer);
      return messageLog(deps.db, {
        programId: principal.programId,
        customerId,
        cursor: body.cursor,
        limit: body.limit,
      });
    },
  });

  readByBody(app, deps, {
    url: '/v1/messages/campaign',
    scope: 'messages:read',
    summary: "A campaign's or journey's messages, newest first",
    body: campaignMessagesQuerySchema,
    response: messagePageSchema,
    run: (body, principal) =>
      messageLog(deps.db, {
        programId: principal.programId,
        campaign: body.campaign,
        status: body.status,
        cursor: body.cursor,
        limit: body.limit,
      }),
  });

  readByBody(app, deps, {
    url: '/v1/messages/campaign/summary',
    scope: 'messages:read',
    summary: 'How a campaign fared: messages by status and channel, skipped by reason, opens, clicks, reads',
    body: z.object({ campaign: campaignMessagesQuerySchema.shape.campaign }).strict(),
    response: campaignSummarySchema,
    run: (body, principal) => campaignSummary(deps.db, principal.programId, body.campaign),
  });

  read(app, deps, {
    url: '/v1/messages/:id',
    scope: 'messages:read',
    summary: 'One message with every change it went through',
    params: messageIdParamsSchema,
    response: messageDetailSchema,
    run: ({ params }, principal) => messageDetail(deps.db, principal.programId, params.id),
  });

  mutation(app, deps, {
    url: '/v1/customers/channel-links',
    scope: 'customers:write',
    summary: "A deep link that connects the customer's Viber or Telegram to the program's bot",
    description:
      "The link carries a one-time token valid for a day; when the customer opens it the bot's webhook links their chat, and messages may go there from then on. `sendBy` also sends the link by SMS or e-mail.",
    body: channelLinkRequestSchema,
    response: channelLinkSchema,
    status: 201,
    async run(trx, body, principal, request) {
      const { program, customerId } = await programCustomer(trx, principal.programId, body.customer);
      const provider = await trx
        .selectFrom('message_providers')
        .select('id')
        .where('program_id', '=', program.id)
        .where('channel', '=', body.channel)
        .where('status', '=', 'active')
        .orderBy('priority')
        .orderBy('id')
        .executeTakeFirst();
      const connection = provider && (await providerConnection(trx, provider.id, deps.secret));
      if (!connection) {
        throw new DomainError(
          'channel_unavailable',
          `the program has no ${body.channel} bot`,
          503,
          'channel',
        );
      }
      const now = new Date();
      const { token, expiresAt } = await createLinkToken(trx, {
        programId: program.id,
        customerId,
        channel: body.channel,
        now,
      });
      const { config } = connection;
      const url =
        config.channel === 'telegram'
          ? telegramDeepLink(config.settings.botUsername, token)
          : config.channel === 'viber'
            ? viberDeepLink(config.settings.chatUri, token)
            : '';
      const message = body.sendBy
        ? await queueMessage(
            trx,
            deps.messaging,
            {
              programId: program.id,
              customerId,
              template: 'channel-link',
              kind: 'channel-link',
              channels: [body.sendBy],
              idempotencyKey: `api:${principal.apiKeyId}:${idempotencyKeyOf(request)}`,
              occurredAt: new Date(body.occurredAt),
              secret: { link: { url, token } },
            },
            now,
          )
        : null;
      return { url, expiresAt: expiresAt.toISOString(), message };
    },
  });
}
