import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger } from 'fastify';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { ChangeFeed } from '../db/change-feed';
import { DebugRequestLogController } from '../platform/request-log';
import { answerUrlError, registerErrorHandling } from './errors';
import { registerInputLayer } from './input/register-input';
import { renderReference } from './reference-page';
import { registerApiKeyRoutes } from './routes/api-keys';
import { registerBatchAdjustmentRoutes } from './routes/batch-adjustments';
import { registerCardRoutes } from './routes/cards';
import { registerConsentRoutes } from './routes/consents';
import { registerCouponRoutes } from './routes/coupons';
import { registerCatalogueRoutes } from './routes/catalogue';
import { registerCustomerEventRoutes } from './routes/customer-events';
import { registerCustomerRoutes } from './routes/customers';
import { registerDuplicateRoutes } from './routes/duplicates';
import { registerGiftCardRoutes } from './routes/gift-cards';
import { registerMasterAccountRoutes } from './routes/master-accounts';
import { registerMessageProviderRoutes } from './routes/message-providers';
import { registerMessageRoutes } from './routes/messages';
import { registerMessageTemplateRoutes } from './routes/message-templates';
import { registerMessageTrackingRoutes } from './routes/message-tracking';
import { registerMessagingWebhookRoutes } from './routes/messaging-webhooks';
import { registerNotifierRoutes } from './routes/notifiers';
import { registerOperationRoutes } from './routes/operations';
import { registerProgramRoutes } from './routes/program';
import { registerPromotionRoutes } from './routes/promotions';
import { registerPurchaseRoutes } from './routes/purchases';
import { registerRedemptionCodeRoutes } from './routes/redemption-codes';
import { registerStoreRoutes } from './routes/stores';
import { registerSegmentRoutes } from './routes/segments';
import { registerSegmentListRoutes } from './routes/segment-lists';
import { registerTierRoutes } from './routes/tiers';
import { registerTillConfigRoutes } from './routes/till-config';
import { registerHealthRoutes } from './routes/health';
import type { ApiApp, ApiDependencies } from './types';

export type { ApiDependencies } from './types';

const requestIdPattern = /^[A-Za-z0-9_.:-]{8,100}$/;

/** The engine API: one Fastify instance with zod-typed routes and the OpenAPI document built from them. */
export async function buildApiServer(supplied: ApiDependencies): Promise<ApiApp> {
  const app = Fastify({
    loggerInstance: supplied.log as FastifyBaseLogger,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : randomUUID();
    },
    logController: new DebugRequestLogController({ requestIdLogLabel: 'requestId' }),
    bodyLimit: 1_048_576,
    frameworkErrors: answerUrlError,
    // Every client is asked for a certificate, none must have one: only keys that require one check it.
    ...(supplied.tls ? { https: { ...supplied.tls, requestCert: true, rejectUnauthorized: false } } : {}),
  }).withTypeProvider<ZodTypeProvider>();
  const feed = supplied.feed ?? (await ChangeFeed.open(supplied.db));
  // A feed opened here holds a pooled connection: give it back before the owner destroys the handle.
  if (!supplied.feed) app.addHook('onClose', () => feed.close());
  const deps: ApiDependencies = { ...supplied, feed };
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  registerErrorHandling(app);
  registerInputLayer(app, deps);
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'Loyalflow engine API', version: '1' },
      components: {
        securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'lf_<prefix>_<secret>' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  app.get('/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get('/v1/docs', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .send(renderReference(app.swagger() as Parameters<typeof renderReference>[0])),
  );
  registerHealthRoutes(app, deps);
  registerCustomerEventRoutes(app, deps);
  registerCustomerRoutes(app, deps);
  registerOperationRoutes(app, deps);
  registerNotifierRoutes(app, deps);
  registerConsentRoutes(app, deps);
  registerCardRoutes(app, deps);
  registerDuplicateRoutes(app, deps);
  registerProgramRoutes(app, deps);
  registerMasterAccountRoutes(app, deps);
  registerBatchAdjustmentRoutes(app, deps);
  registerPurchaseRoutes(app, deps);
  registerRedemptionCodeRoutes(app, deps);
  registerStoreRoutes(app, deps);
  registerCatalogueRoutes(app, deps);
  registerPromotionRoutes(app, deps);
  registerTierRoutes(app, deps);
  registerSegmentRoutes(app, deps);
  registerSegmentListRoutes(app, deps);
  registerMessageTemplateRoutes(app, deps);
  registerMessageProviderRoutes(app, deps);
  registerMessageRoutes(app, deps);
  registerMessagingWebhookRoutes(app, deps);
  registerMessageTrackingRoutes(app, deps);
  registerCouponRoutes(app, deps);
  registerTillConfigRoutes(app, deps);
  registerGiftCardRoutes(app, deps);
  registerApiKeyRoutes(app, deps);
  return app;
}
