import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request a peer received, body as text. */
export interface PeerRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** What the peer answers: a JSON body (an object) or raw text, with an HTTP status (200 by default). */
export interface PeerAnswer {
  status?: number;
  body: object | string;
}

export interface HttpPeer {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  requests: PeerRequest[];
  close(): Promise<void>;
}

/**
 * A local HTTP server standing in for a provider's API (Viber, Telegram): it records every request and
 * answers what `answer` returns for it.
 */
export async function startHttpPeer(
  answer: (request: PeerRequest) => PeerAnswer | Promise<PeerAnswer>,
): Promise<HttpPeer> {
  const requests: PeerRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      requests.push(request);
      void Promise.resolve(answer(request)).then(({ status = 200, body }) => {
        const text = typeof body === 'string' ? body : JSON.stringify(body);
        res.writeHead(status, {
          'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        });
        res.end(text);
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    // Clients keep connections alive (grammY's agent, fetch's pool); close them or `close` waits for them.
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
