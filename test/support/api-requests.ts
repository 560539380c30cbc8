import type { LightMyRequestResponse } from 'fastify';
import type { ApiFixture } from './api-fixture';

/** GETs as the back office (default) or another key's holder. */
export function apiGet(api: ApiFixture, url: string, token?: string): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'GET',
    url,
    headers: { authorization: `Bearer ${token ?? api.demo.backOfficeApiKey}` },
  });
}

/** PUTs as the back office with the given Idempotency-Key. */
export function apiPut(
  api: ApiFixture,
  url: string,
  payload: object,
  key: string,
  token?: string,
): Promise<LightMyRequestResponse> {
  return api.app.inject({
    method: 'PUT',
    url,
    headers: { authorization: `Bearer ${token ?? api.demo.backOfficeApiKey}`, 'idempotency-key': key },
    payload,
  });
}
