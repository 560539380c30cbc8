import type { ComponentHealth } from '../../engine/contracts/health';
import { webEnv } from '../lib/env';
import { platformHealth } from '../lib/health';

export const dynamic = 'force-dynamic';

function Component({ name, health }: { name: string; health: ComponentHealth }) {
  return (
    <section className="component" data-ok={String(health.ok)} data-testid={`status-${name.toLowerCase()}`}>
      <h2>{name}</h2>
      <p>
        <strong>{health.ok ? 'up' : 'down'}</strong> · {health.latencyMs} ms
      </p>
      {health.detail ? <p>{health.detail}</p> : null}
    </section>
  );
}

interface Props {
  /** Set by a staff page the signed-in role may not open (web/lib/session.ts). */
  searchParams: Promise<{ denied?: string }>;
}

export default async function StatusPage({ searchParams }: Props) {
  const { denied } = await searchParams;
  const health = await platformHealth();
  const env = webEnv();
  return (
    <>
      {denied?.startsWith('/') ? (
        <p role="alert" data-testid="access-denied">
          Your role may not open {denied}.
        </p>
      ) : null}
      <h1>Platform status</h1>
      <p data-testid="status-overall">
        Overall: <strong>{health.status}</strong> (checked {health.checkedAt})
      </p>
      <div className="panel">
        <Component name="Database" health={health.database} />
        <Component name="Temporal" health={health.temporal} />
      </div>
      {env.LOYALFLOW_API_URL || env.TEMPORAL_UI_URL ? (
        <>
          <h2>Links</h2>
          <ul>
            {env.LOYALFLOW_API_URL ? (
              <li>
                <a href={`${env.LOYALFLOW_API_URL}/v1/openapi.json`}>Engine API (OpenAPI)</a>
              </li>
            ) : null}
            {env.TEMPORAL_UI_URL ? (
              <li>
                <a href={env.TEMPORAL_UI_URL}>Temporal UI</a>
              </li>
            ) : null}
          </ul>
        </>
      ) : null}
    </>
  );
}
