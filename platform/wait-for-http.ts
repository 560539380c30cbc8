import { request as httpsRequest } from 'node:https';

/** One GET over HTTPS trusting `ca`: the status code. */
function statusOver(url: string, ca: Buffer): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(url, { ca, timeout: 30_000 }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

/**
 * Polls a URL until it answers with any status below 500, or throws after the timeout. With `ca`, an
 * HTTPS URL is trusted when that authority signed its certificate (the API's own TLS).
 */
export async function waitForHttp(
  url: string,
  timeoutMs: number,
  options: { ca?: Buffer } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const status = options.ca
        ? await statusOver(url, options.ca)
        : (await fetch(url, { signal: AbortSignal.timeout(30_000) })).status;
      if (status < 500) return;
      last = `status ${status}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${url} did not come up within ${timeoutMs / 1000} s (${last})`);
}
