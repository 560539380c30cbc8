import { platformHealth } from '../../../lib/health';

export const dynamic = 'force-dynamic';

export async function GET() {
  const health = await platformHealth();
  return Response.json(health, { status: health.database.ok ? 200 : 503 });
}
