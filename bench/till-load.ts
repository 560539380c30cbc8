import { Agent, request } from 'node:http';
import { measure } from './stats';

/**
 * The tills of the purchases benchmark, in a process of their own (forked by bench/purchases.ts) so
 * the load generator does not share the API's event loop, as pgbench, its yardstick, runs apart too:
 * each client is a till with its own customer and keep-alive connection, sending calculate then
 * confirm. Takes its TillLoad as the first IPC message and answers with what it measured.
 */
export interface TillLoad {
  base: string;
  apiKey: string;
  customers: { kind: 'phone'; value: string }[];
  clients: number;
  durationMs: number;
  /** Offset of this run's check numbers, so runs never repeat an externalRef or an idempotency key. */
  firstCheck: number;
  skus: number;
  categories: string[];
}

const load = await new Promise<TillLoad>((resolve) => process.once('message', resolve));
const url = new URL(load.base);
const agent = new Agent({ keepAlive: true, maxSockets: load.clients });

function post(path: string, key: string, body: object): Promise<void> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path,
        method: 'POST',
        agent,
        headers: {
          authorization: `Bearer ${load.apiKey}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'idempotency-key': key,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          res.statusCode! < 300
            ? resolve()
            : reject(new Error(`${path} ${res.statusCode}: ${Buffer.concat(chunks).toString()}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

const lines = (n: number) =>
  Array.from({ length: 5 }, (_, k) => {
    const sku = (n * 5 + k) % load.skus;
    return {
      sku: `sku-${sku}`,
      unitPrice: 5_000 + 100 * sku,
      quantity: 1 + (k % 3),
      category: [load.categories[sku % load.categories.length]!],
    };
  });

let checks = load.firstCheck;
const result = await measure(load.clients, load.durationMs, async (client) => {
  const n = (checks += 1);
  const body = { customer: load.customers[client], occurredAt: '2026-11-25T11:30:00+03:00', lines: lines(n) };
  await post('/v1/purchases/calculate', `calc-${n}`, body);
  await post('/v1/purchases/confirm', `confirm-${n}`, { ...body, externalRef: `bench-${n}` });
});
agent.destroy();
process.send!(result, () => process.disconnect());
