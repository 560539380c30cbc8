import path from 'node:path';
import type { NextConfig } from 'next';

const repoRoot = path.resolve(import.meta.dirname, '..');

const config: NextConfig = {
  // The browser test runs its own server beside a developer's `npm start`, so it builds elsewhere.
  distDir: process.env.LOYALFLOW_WEB_DIST_DIR ?? '.next',
  // web/ imports db/, engine/ and platform/ from the repository root.
  turbopack: { root: repoRoot },
  outputFileTracingRoot: repoRoot,
  serverExternalPackages: [
    'pg',
    'pino',
    'kysely',
    '@temporalio/client',
    '@temporalio/proto',
    '@grpc/grpc-js',
  ],
  poweredByHeader: false,
  devIndicators: false,
};

export default config;
