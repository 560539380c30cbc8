import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { ApiError } from '../engine/contracts/api-error';
import { DomainError } from '../engine/errors';
import type { ApiApp } from './types';

function errorBody(requestId: string, error: ApiError['error']): ApiError {
  return { error, requestId };
}

/** Fastify's own refusals, before a route's code runs, by status: what was wrong and where. */
const transportErrors: Record<number, { code: string; field: string }> = {
  400: { code: 'bad_request', field: 'body' },
  413: { code: 'body_too_large', field: 'body' },
  414: { code: 'url_too_long', field: 'url' },
  415: { code: 'unsupported_media_type', field: 'headers.content-type' },
};

/**
 * Fastify's `frameworkErrors`: a URL refused before routing (malformed escapes: 400, a path parameter
 * past `maxParamLength`: 414), in the one error shape.
 */
export function answerUrlError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const code = status === 414 ? 'url_too_long' : 'bad_url';
  void reply.status(status).send(errorBody(request.id, { code, message: error.message, field: 'url' }));
}

/** Every failure leaves as the one documented shape; only unexpected ones are 500 and logged as errors. */
export function registerErrorHandling(app: ApiApp): void {
  app.setErrorHandler((error: FastifyError | DomainError, request, reply) => {
    if (error instanceof DomainError) {
      const body: ApiError['error'] = { code: error.code, message: error.message };
      if (error.field) body.field = error.field;
      if (error.retryAfterSeconds !== undefined) {
        reply.header('retry-after', String(error.retryAfterSeconds));
      }
      return reply.status(error.status).send(errorBody(request.id, body));
    }
    if (hasZodFastifySchemaValidationErrors(error)) {
      const issues = error.validation.map((v) => {
        const path = (v.instancePath || '').replace(/^\//, '').replaceAll('/', '.');
        const field = [error.validationContext ?? 'body', path].filter(Boolean).join('.');
        return { field, message: v.message ?? 'invalid' };
      });
      const first = issues[0];
      return reply.status(400).send(
        errorBody(request.id, {
          code: 'validation_failed',
          message: first ? `${first.field}: ${first.message}` : 'invalid request',
          ...(first ? { field: first.field } : {}),
          issues,
        }),
      );
    }
    // A transaction PostgreSQL aborted to break a deadlock or a serialization conflict changed
    // nothing: the caller may send the same request again (same Idempotency-Key).
    const sqlState = (error as { code?: unknown }).code;
    if (sqlState === '40P01' || sqlState === '40001') {
      request.log.warn({ err: error }, 'transaction conflict');
      return reply
        .status(409)
        .header('retry-after', '1')
        .send(
          errorBody(request.id, {
            code: 'try_again',
            message: 'another request on the same data got in the way; send it again',
          }),
        );
    }
    const status = error.statusCode ?? 500;
    if (status < 500) {
      const { code, field } = transportErrors[status] ?? { code: 'bad_request', field: 'body' };
      return reply.status(status).send(errorBody(request.id, { code, message: error.message, field }));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(errorBody(request.id, { code: 'internal', message: 'internal error' }));
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .status(404)
      .send(
        errorBody(request.id, { code: 'not_found', message: `no route ${request.method} ${request.url}` }),
      ),
  );
}
