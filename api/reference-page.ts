/** A readable HTML reference of the engine API, rendered from its own OpenAPI document (no CDN, no scripts). */
interface Operation {
  summary?: string;
  description?: string;
  requestBody?: { content?: Record<string, { schema?: Schema }> };
  responses?: Record<string, unknown>;
}
interface Schema {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  description?: string;
  enum?: unknown[];
  format?: string;
  items?: Schema;
}

const escape = (text: string) =>
  text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

function typeOf(schema: Schema): string {
  if (schema.enum) return schema.enum.map(String).join(' | ');
  const type = Array.isArray(schema.type) ? schema.type.join(' | ') : (schema.type ?? 'object');
  if (type === 'array' && schema.items) return `${typeOf(schema.items)}[]`;
  return schema.format ? `${type} (${schema.format})` : type;
}

function fields(schema: Schema | undefined): string {
  if (!schema?.properties) return '';
  const rows = Object.entries(schema.properties).map(
    ([name, field]) =>
      `<tr><td><code>${escape(name)}</code>${schema.required?.includes(name) ? ' *' : ''}</td>` +
      `<td>${escape(typeOf(field))}</td><td>${escape(field.description ?? '')}</td></tr>`,
  );
  return `<table><tr><th>field</th><th>type</th><th></th></tr>${rows.join('')}</table>`;
}

export function renderReference(document: {
  info?: { title?: string };
  paths?: Record<string, Record<string, Operation>>;
}): string {
  const sections = Object.entries(document.paths ?? {}).flatMap(([path, methods]) =>
    Object.entries(methods).map(
      ([method, op]) =>
        `<section><h2><code>${method.toUpperCase()} ${escape(path)}</code></h2>` +
        `<p><strong>${escape(op.summary ?? '')}</strong></p><p>${escape(op.description ?? '')}</p>` +
        fields(op.requestBody?.content?.['application/json']?.schema) +
        `<p>responses: ${Object.keys(op.responses ?? {}).join(', ')}</p></section>`,
    ),
  );
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(document.info?.title ?? 'API')}</title>
<style>body{font-family:system-ui,sans-serif;max-width:960px;margin:2rem auto;color:#1d2433}section{border-top:1px solid #dde;padding:.5rem 0}table{border-collapse:collapse}td,th{padding:.2rem .6rem;text-align:left;border-bottom:1px solid #eee}</style>
</head><body><h1>${escape(document.info?.title ?? 'API')}</h1>
<p>Authorization: <code>Bearer lf_&lt;prefix&gt;_&lt;secret&gt;</code>. Every mutating call takes an <code>Idempotency-Key</code>.
Errors: <code>{ "error": { "code", "message", "field" }, "requestId" }</code>. Machine-readable: <a href="/v1/openapi.json">/v1/openapi.json</a>.</p>
${sections.join('\n')}</body></html>`;
}
