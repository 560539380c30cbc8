import { readFileSync } from 'node:fs';
import { TLSSocket } from 'node:tls';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../engine/errors';

/** The server's certificate and key, and the CA that signs the client certificates of tills. */
export interface ApiTls {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

const tlsEnv = ['API_TLS_CERT', 'API_TLS_KEY', 'API_TLS_CA'] as const;

/** HTTPS with client certificates when API_TLS_CERT, API_TLS_KEY and API_TLS_CA name PEM files; else plain HTTP. */
export function tlsFromEnv(env: Record<string, string | undefined> = process.env): ApiTls | undefined {
  const given = tlsEnv.filter((name) => env[name]);
  if (given.length === 0) return undefined;
  const missing = tlsEnv.filter((name) => !env[name]);
  if (missing.length > 0) throw new Error(`env ${missing.join(', ')}: set with ${given.join(', ')}`);
  const read = (name: (typeof tlsEnv)[number]) => {
    try {
      return readFileSync(env[name]!);
    } catch (error) {
      throw new Error(`env ${name}: cannot read ${env[name]}: ${(error as Error).message}`);
    }
  };
  return { cert: read('API_TLS_CERT'), key: read('API_TLS_KEY'), ca: read('API_TLS_CA') };
}

/**
 * Refuses a call of a key that requires a client certificate unless the connection presented one the
 * CA signed with exactly that SHA-256 fingerprint. The server asks every client for a certificate but
 * admits connections without one, so keys without the requirement work over the same port.
 */
export function requireClientCertificate(request: FastifyRequest, sha256: string | null): void {
  if (sha256 === null) return;
  const socket = request.raw.socket;
  const presented =
    socket instanceof TLSSocket && socket.authorized
      ? socket.getPeerCertificate().fingerprint256?.replaceAll(':', '').toLowerCase()
      : undefined;
  if (presented !== sha256) {
    throw new DomainError(
      'client_certificate_required',
      'this API key requires its client certificate (mutual TLS)',
      401,
      'headers.authorization',
    );
  }
}
