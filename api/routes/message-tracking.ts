import { recordClick, recordOpen, unsubscribeByToken } from '../../db/messaging/tracking';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ApiApp, ApiDependencies } from '../types';

/** A transparent 1×1 GIF. */
const pixel = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
const token = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, 'a message token');

const page = (title: string, body: string) =>
  `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body style="font-family:sans-serif;max-width:32rem;margin:3rem auto">${body}</body></html>`;

/**
 * What a customer's e-mail client and browser call: the open pixel, tracked links (followed only when
 * the platform signed them) and the unsubscribe link. No API key: the message's random token is the
 * credential, and each call can do no more than its message allows.
 */
export function registerMessageTrackingRoutes(app: ApiApp, deps: ApiDependencies): void {
  app.get(
    '/m/o/:file',
    { schema: { hide: true, params: z.object({ file: z.string().max(80) }).strict() } },
    async (request, reply) => {
      const match = /^([A-Za-z0-9_-]{16,64})\.gif$/.exec(request.params.file);
      if (match) await recordOpen(deps.db, match[1]!, new Date());
      return reply.header('cache-control', 'no-store, private').type('image/gif').send(pixel);
    },
  );

  app.get(
    '/m/c/:token',
    {
      schema: {
        hide: true,
        params: z.object({ token }).strict(),
        querystring: z.object({ u: z.string().max(2000), s: z.string().max(64) }).strict(),
      },
    },
    async (request, reply) => {
      const url = await recordClick(deps.db, {
        token: request.params.token,
        url: request.query.u,
        signature: request.query.s,
        secret: deps.secret,
        at: new Date(),
      });
      if (!url)
        return reply.status(404).type('text/html').send(page('Link', '<p>This link is not valid.</p>'));
      return reply.redirect(url, 302);
    },
  );

  // A GET only shows the button: mail scanners follow links, and must not unsubscribe anybody.
  app.get(
    '/m/u/:token',
    { schema: { hide: true, params: z.object({ token }).strict() } },
    async (request, reply) =>
      reply
        .type('text/html')
        .send(
          page(
            'Unsubscribe',
            `<h1>Unsubscribe</h1><p>Stop receiving these messages?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
          ),
        ),
  );

  // RFC 8058 one-click: the mailbox provider POSTs `List-Unsubscribe=One-Click`; the page's form too.
  app.register(async (plain) => {
    const scope = plain.withTypeProvider<ZodTypeProvider>();
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 1024 },
      (_request, body, done) => done(null, Object.fromEntries(new URLSearchParams(body as string))),
    );
    scope.post(
      '/m/u/:token',
      { schema: { hide: true, params: z.object({ token }).strict() } },
      async (request, reply) => {
        const done = await unsubscribeByToken(deps.db, request.params.token, new Date());
        return reply
          .status(done ? 200 : 404)
          .type('text/html')
          .send(
            page(
              'Unsubscribe',
              done
                ? '<h1>Done</h1><p>You will not receive these messages any more.</p>'
                : '<p>This link is not valid.</p>',
            ),
          );
      },
    );
  });
}
