import { Liquid, type Template as Parsed } from 'liquidjs';
import { DomainError } from '../errors';
import type { ChannelKind } from './contracts';
import { unknownVariable, valueAt, variablePath, type TemplateVariables } from './template-catalogue';
import { registerTemplateFilters, renderSettingsKey, type RenderSettings } from './template-filters';
import type { TemplateContent, TemplatePart } from './template-content';

/**
 * Liquid templates of messages: checked when saved (syntax with its line, variables against the
 * catalogue, filters), rendered for one channel in the best locale the template has. Pure: no template
 * reads a file (no include, render or layout), and the same input renders the same text.
 */

export interface TemplateIssue {
  /** Where: `content.sms.ru.text`, `content.viber.en.button.url`. */
  field: string;
  code: 'syntax' | 'unknown_variable' | 'unknown_filter';
  line: number;
  column: number;
  message: string;
}

export interface RenderedMessage {
  locale: string;
  subject?: string;
  text: string;
  html?: string;
  imageUrl?: string;
  button?: { text: string; url: string };
}

type Output = 'text' | 'html';

/** One instance per locale (its month names and number format) and per output (HTML escapes). */
const engines = new Map<string, Liquid>();

function engineFor(locale: string, output: Output): Liquid {
  const key = `${output}:${locale}`;
  let engine = engines.get(key);
  if (!engine) {
    engine = new Liquid({
      // An empty in-memory map answers every file lookup: nothing is read from disk.
      templates: {},
      relativeReference: false,
      strictFilters: true,
      strictVariables: false,
      ownPropertyOnly: true,
      locale,
      ...(output === 'html' ? { outputEscape: 'escape' as const } : {}),
      // A template is a message, not a program: a loop over a huge range stops instead of blocking.
      parseLimit: 1_000_000,
      renderLimit: 1_000,
      memoryLimit: 20_000_000,
    });
    for (const tag of ['include', 'render', 'layout', 'block']) delete engine.tags[tag];
    registerTemplateFilters(engine);
    engines.set(key, engine);
  }
  return engine;
}

/** Parsed templates by source, per instance: a campaign renders one text for thousands of customers. */
const parsedBy = new WeakMap<Liquid, Map<string, Parsed[]>>();
const maxParsed = 2_000;

function parse(engine: Liquid, source: string): Parsed[] {
  let cache = parsedBy.get(engine);
  if (!cache) parsedBy.set(engine, (cache = new Map()));
  let parsed = cache.get(source);
  if (!parsed) {
    parsed = engine.parse(source);
    if (cache.size >= maxParsed) cache.delete(cache.keys().next().value!);
    cache.set(source, parsed);
  }
  return parsed;
}

interface Source {
  field: string;
  /** Where in the rendered message it goes: `subject`, `button.url`. */
  name: string;
  output: Output;
  source: string;
}

function sourcesOf(part: TemplatePart, prefix: string): Source[] {
  const named: Array<[string, string | undefined, Output]> = [
    ['subject', part.subject, 'text'],
    ['text', part.text, 'text'],
    ['html', part.html, 'html'],
    ['imageUrl', part.imageUrl, 'text'],
    ['button.text', part.button?.text, 'text'],
    ['button.url', part.button?.url, 'text'],
  ];
  return named
    .filter((entry): entry is [string, string, Output] => entry[1] !== undefined)
    .map(([name, source, output]) => ({ field: `${prefix}.${name}`, name, output, source }));
}

const partsOf = (content: TemplateContent) =>
  Object.entries(content).flatMap(([channel, byLocale]) =>
    Object.entries((byLocale ?? {}) as Record<string, TemplatePart>).map(([locale, part]) => ({
      channel,
      locale,
      part,
    })),
  );

const position = /, line:(\d+), col:(\d+)$/;
const fileTag = /^tag "(include|render|layout|block)" not found/;

function syntaxIssue(field: string, error: unknown): TemplateIssue {
  const raw = error instanceof Error ? error.message : String(error);
  const [, line = '1', column = '1'] = position.exec(raw) ?? [];
  const message = raw.replace(position, '');
  const filter = /^undefined filter: (.+)$/.exec(message);
  const base = { field, line: Number(line), column: Number(column) };
  if (filter) return { ...base, code: 'unknown_filter', message: `unknown filter "${filter[1]}"` };
  if (fileTag.test(message)) {
    return {
      ...base,
      code: 'syntax',
      message:
        'a template cannot include other files: {% include %}, {% render %} and {% layout %} are not available',
    };
  }
  return { ...base, code: 'syntax', message };
}

/**
 * Every problem of a template's content, in field order then line: Liquid syntax, unknown filters and
 * variables outside the catalogue (names a loop, assign or capture defines are the template's own).
 */
export function validateTemplateContent(content: TemplateContent): TemplateIssue[] {
  const issues: TemplateIssue[] = [];
  for (const { channel, locale, part } of partsOf(content)) {
    for (const { field, output, source } of sourcesOf(part, `content.${channel}.${locale}`)) {
      const engine = engineFor(locale, output);
      let parsed: Parsed[];
      try {
        parsed = parse(engine, source);
      } catch (error) {
        issues.push(syntaxIssue(field, error));
        continue;
      }
      const found: TemplateIssue[] = [];
      for (const variables of Object.values(engine.analyzeSync(parsed, { partials: false }).globals)) {
        for (const variable of variables) {
          const unknown = unknownVariable(variable.segments);
          if (unknown === undefined) continue;
          found.push({
            field,
            code: 'unknown_variable',
            line: variable.location.row,
            column: variable.location.col,
            message: `unknown variable ${unknown} (GET /v1/message-templates/variables lists them)`,
          });
        }
      }
      issues.push(...found.sort((a, b) => a.line - b.line || a.column - b.column));
    }
  }
  return issues;
}

/**
 * Refuses content with a problem: the first one as a 422 naming its field, with its line in the
 * message and how many follow (they show once it is fixed).
 */
export function checkTemplateContent(content: TemplateContent): void {
  const issues = validateTemplateContent(content);
  const first = issues[0];
  if (!first) return;
  const more = issues.length > 1 ? ` (${issues.length - 1} more after it)` : '';
  throw new DomainError(
    `template_${first.code}`,
    `${first.field}, line ${first.line}: ${first.message}${more}`,
    422,
    first.field,
  );
}

/**
 * The locale to render: the first of the preferences (the customer's, the program's; `ru-RU` counts
 * as `ru`) the template has, else Russian, else English, else the first in alphabetical order (stored
 * content does not keep the order it was written in).
 */
function pickLocale(available: readonly string[], preferences: readonly (string | null | undefined)[]) {
  const have = new Set(available);
  for (const wanted of [...preferences.map((p) => p?.slice(0, 2).toLowerCase()), 'ru', 'en']) {
    if (wanted && have.has(wanted)) return wanted;
  }
  return [...available].sort()[0]!;
}

function partFor(
  content: TemplateContent,
  channel: ChannelKind,
  locales: readonly (string | null | undefined)[],
) {
  const byLocale = content[channel] as Record<string, TemplatePart> | undefined;
  if (!byLocale || Object.keys(byLocale).length === 0) {
    throw new DomainError(
      'template_channel_missing',
      `the template has no ${channel} content`,
      422,
      'channel',
    );
  }
  const locale = pickLocale(Object.keys(byLocale), locales);
  return { locale, part: byLocale[locale]!, prefix: `content.${channel}.${locale}` };
}

/**
 * The message for one channel in the best locale the template has. Variables missing from `variables`
 * print as nothing (the check at saving catches misspelt ones); values in `html` are HTML-escaped,
 * `| raw` prints one as it is. A template that fails while rendering (its time or memory limit, a
 * bad currency code for `money`) is a 422 naming its field.
 */
export function renderTemplate(
  content: TemplateContent,
  channel: ChannelKind,
  locales: readonly (string | null | undefined)[],
  variables: TemplateVariables,
  options: { timeZone: string },
): RenderedMessage {
  const { locale, part, prefix } = partFor(content, channel, locales);
  const settings: RenderSettings = { timeZone: options.timeZone, currency: variables.program.currency };
  const globals = { [renderSettingsKey]: settings };
  const rendered: Record<string, string> = {};
  for (const { field, name, output, source } of sourcesOf(part, prefix)) {
    const engine = engineFor(locale, output);
    try {
      rendered[name] = engine.renderSync(parse(engine, source), variables, { globals }) as string;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw new DomainError('template_render_failed', `${field}: ${message}`, 422, field);
    }
  }
  const { subject, html, imageUrl } = rendered;
  return {
    locale,
    ...(subject !== undefined ? { subject } : {}),
    text: rendered.text!,
    ...(html !== undefined ? { html } : {}),
    ...(imageUrl !== undefined ? { imageUrl } : {}),
    ...(part.button ? { button: { text: rendered['button.text']!, url: rendered['button.url']! } } : {}),
  };
}

/**
 * The variables the part rendered for a channel reads, by path, with their values: what the preview
 * shows beside the text. Names the template defines itself (loops, assigns) are left out.
 */
export function templateVariablesUsed(
  content: TemplateContent,
  channel: ChannelKind,
  locales: readonly (string | null | undefined)[],
  variables: TemplateVariables,
): Record<string, unknown> {
  const { locale, part, prefix } = partFor(content, channel, locales);
  const used = new Map<string, unknown>();
  for (const { output, source } of sourcesOf(part, prefix)) {
    const engine = engineFor(locale, output);
    for (const found of Object.values(
      engine.analyzeSync(parse(engine, source), { partials: false }).globals,
    )) {
      for (const variable of found)
        used.set(variablePath(variable.segments), valueAt(variables, variable.segments) ?? null);
    }
  }
  return Object.fromEntries([...used.entries()].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * The top-level variables any part of a template reads (`customer`, `balance`, `code`…), so a mass
 * send loads only what its template prints. Names the template defines itself are not counted.
 */
export function templateRoots(content: TemplateContent): Set<string> {
  const roots = new Set<string>();
  for (const { locale, part, channel } of partsOf(content)) {
    for (const { output, source } of sourcesOf(part, `content.${channel}.${locale}`)) {
      const engine = engineFor(locale, output);
      for (const name of Object.keys(engine.analyzeSync(parse(engine, source), { partials: false }).globals))
        roots.add(name);
    }
  }
  return roots;
}
