import { z } from 'zod';

const schema = z.object({
  DATABASE_URL: z.url(),
  TEMPORAL_ADDRESS: z.string().regex(/^[^:\s]+:\d{1,5}$/, 'expected host:port'),
  TEMPORAL_UI_URL: z.url().optional(),
  LOYALFLOW_API_URL: z.url().optional(),
});

export type WebEnv = z.infer<typeof schema>;

let cached: WebEnv | undefined;

/** The web app's settings, passed by `npm start`; a bad or missing key is named in the error. */
export function webEnv(): WebEnv {
  if (cached) return cached;
  const parsed = schema.safeParse(process.env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((i) => `env ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  cached = parsed.data;
  return cached;
}
