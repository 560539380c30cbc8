/** The database URL a service process was given; `npm start` and the test setup always pass one. */
export function requireDatabaseUrl(url: string | undefined, service: string): string {
  if (!url) {
    throw new Error(
      `${service}: DATABASE_URL is not set. Start the platform with \`npm start\`, or set DATABASE_URL.`,
    );
  }
  return url;
}
