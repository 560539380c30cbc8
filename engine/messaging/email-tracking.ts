/**
 * Open and click tracking for an e-mail's HTML, and the one-click unsubscribe headers. Pure string
 * work: the caller makes the tracking URLs (it signs them) and records `links`.
 */

export interface EmailTracking {
  /** A 1×1 image URL whose load records the open; null: no pixel. */
  openPixelUrl: string | null;
  /** The URL a link is sent through, given the original and its index in `links`; null: links stay. */
  clickUrl: ((url: string, index: number) => string) | null;
  /** Links left as they are besides those marked `data-lf-unsubscribe` (the unsubscribe page). */
  keep?: (url: string) => boolean;
}

export interface TrackedHtml {
  html: string;
  /** The original URLs sent through `clickUrl`, in document order: `links[i]` got index i. */
  links: string[];
}

/**
 * An opening `<a …>` tag. Quoted values are taken whole so a `>` inside one does not end the tag; the
 * alternatives start with different characters, so the engine never retries one as another.
 */
const anchorTag = /<a\b(?:[^>"']|"[^"]*"|'[^']*')*>/gi;
/**
 * One attribute: a name, then maybe `=` and a double-quoted, single-quoted or bare value. A bare value
 * may hold `=` (`href=https://x.test/?a=1`): browsers keep it, though HTML calls it an error.
 */
const attribute = /([^\s"'=<>/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>`]+)))?/g;

const namedEntities: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** What an attribute value means: entities decoded (`&amp;` → `&`), as a browser would follow it. */
function decodeEntities(value: string): string {
  return value.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (entity, body: string) => {
    if (body[0] !== '#') return namedEntities[body.toLowerCase()] ?? entity;
    const codePoint =
      body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : parseInt(body.slice(1), 10);
    return codePoint > 0 && codePoint <= 0x10ffff ? String.fromCodePoint(codePoint) : entity;
  });
}

/** A value safe inside a double-quoted attribute. */
function encodeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Rewrites one `<a …>` tag's href through `clickUrl` when it is a web link to track. */
function trackAnchor(tag: string, options: EmailTracking, links: string[]): string {
  if (!options.clickUrl) return tag;
  let href: { start: number; end: number; url: string } | null = null;
  let unsubscribe = false;
  // Attributes start after `<a`; the closing `>` (or `/>`) is not part of any.
  const body = tag.slice(2, -1);
  for (const match of body.matchAll(attribute)) {
    const name = match[1]!.toLowerCase();
    if (name === 'data-lf-unsubscribe') unsubscribe = true;
    // Browsers follow the first href when a tag repeats it.
    if (name === 'href' && !href) {
      const raw = match[2] ?? match[3] ?? match[4] ?? '';
      href = {
        start: match.index + 2,
        end: match.index + 2 + match[0].length,
        url: decodeEntities(raw).trim(),
      };
    }
  }
  if (!href || unsubscribe || !/^https?:\/\//i.test(href.url) || options.keep?.(href.url)) return tag;
  const tracked = options.clickUrl(href.url, links.length);
  links.push(href.url);
  return `${tag.slice(0, href.start)}href="${encodeAttribute(tracked)}"${tag.slice(href.end)}`;
}

/**
 * Sends every `http(s)` link of `html` through `clickUrl` (not mailto:, tel:, in-page `#` or relative
 * links, not the unsubscribe link) and adds the open pixel just before `</body>`, or at the end when
 * there is none.
 */
export function trackEmailHtml(html: string, options: EmailTracking): TrackedHtml {
  const links: string[] = [];
  let tracked = html.replace(anchorTag, (tag) => trackAnchor(tag, options, links));
  if (options.openPixelUrl !== null) {
    const pixel = `<img src="${encodeAttribute(options.openPixelUrl)}" alt="" width="1" height="1" style="display:none">`;
    const bodyEnd = tracked.toLowerCase().lastIndexOf('</body');
    tracked = bodyEnd === -1 ? tracked + pixel : tracked.slice(0, bodyEnd) + pixel + tracked.slice(bodyEnd);
  }
  return { html: tracked, links };
}

/**
 * The List-Unsubscribe headers of RFC 2369 with RFC 8058 one-click: mail clients show an unsubscribe
 * button that POSTs `List-Unsubscribe=One-Click` to `httpUrl` (so the URL itself must unsubscribe
 * on POST without a confirmation page). `mailto` is an address or a `mailto:` URI for clients
 * that only write.
 */
export function unsubscribeHeaders(httpUrl: string, mailto?: string): Record<string, string> {
  if (!/^https?:\/\/./i.test(httpUrl)) throw new Error('the unsubscribe URL must be an http(s) URL');
  const targets = [httpUrl];
  if (mailto !== undefined) targets.push(/^mailto:/i.test(mailto) ? mailto : `mailto:${mailto}`);
  // Each target goes between angle brackets; one of them, or a line break, inside would forge the header.
  if (targets.some((target) => /[\s<>]/.test(target))) {
    throw new Error('an unsubscribe target may not contain spaces or angle brackets');
  }
  return {
    'List-Unsubscribe': targets.map((target) => `<${target}>`).join(', '),
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
  };
}
