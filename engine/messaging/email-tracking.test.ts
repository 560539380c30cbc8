import { describe, expect, it } from 'vitest';
import { trackEmailHtml, unsubscribeHeaders } from './email-tracking';

const clickUrl = (url: string, index: number) => `https://t.test/m/c/T${index}`;
const clicksOnly = { openPixelUrl: null, clickUrl };

describe('trackEmailHtml', () => {
  it('sends http and https links through clickUrl with their index, and lists the originals in order', () => {
    const seen: [string, number][] = [];
    const result = trackEmailHtml(
      '<p><a href="https://shop.test/sale">Sale</a> <a href="http://shop.test/news">News</a></p>',
      {
        openPixelUrl: null,
        clickUrl: (url, index) => {
          seen.push([url, index]);
          return clickUrl(url, index);
        },
      },
    );

    expect(result.html).toBe(
      '<p><a href="https://t.test/m/c/T0">Sale</a> <a href="https://t.test/m/c/T1">News</a></p>',
    );
    expect(result.links).toEqual(['https://shop.test/sale', 'http://shop.test/news']);
    expect(seen).toEqual([
      ['https://shop.test/sale', 0],
      ['http://shop.test/news', 1],
    ]);
  });

  it('leaves mailto:, tel:, in-page and relative links as they are', () => {
    const html =
      '<a href="mailto:help@shop.test">Mail</a><a href="tel:+79161234567">Call</a>' +
      '<a href="#top">Top</a><a href="/local">Local</a><a name="anchor">No href</a>';
    expect(trackEmailHtml(html, clicksOnly)).toEqual({ html, links: [] });
  });

  it('leaves the link marked data-lf-unsubscribe and the links keep() holds, and gives the next link the next index', () => {
    const html =
      '<a data-lf-unsubscribe href="https://shop.test/m/u/X">Unsubscribe</a>' +
      '<a href="https://shop.test/terms">Terms</a>' +
      '<a href="https://shop.test/sale">Sale</a>';
    const result = trackEmailHtml(html, { ...clicksOnly, keep: (url) => url.endsWith('/terms') });

    expect(result.html).toBe(
      '<a data-lf-unsubscribe href="https://shop.test/m/u/X">Unsubscribe</a>' +
        '<a href="https://shop.test/terms">Terms</a>' +
        '<a href="https://t.test/m/c/T0">Sale</a>',
    );
    expect(result.links).toEqual(['https://shop.test/sale']);
  });

  it('reads single quotes, bare values, any attribute order and upper-case tags, keeping the other attributes', () => {
    const html =
      "<A CLASS='btn' HREF='https://shop.test/a' TARGET=_blank>A</A>" +
      '<a style="color:red" title="go > there" href=https://shop.test/b?x=1>B</a>' +
      '<a\n  href = "https://shop.test/c"\n>C</a>';
    const result = trackEmailHtml(html, clicksOnly);

    expect(result.html).toBe(
      '<A CLASS=\'btn\' href="https://t.test/m/c/T0" TARGET=_blank>A</A>' +
        '<a style="color:red" title="go > there" href="https://t.test/m/c/T1">B</a>' +
        '<a\n  href="https://t.test/m/c/T2"\n>C</a>',
    );
    expect(result.links).toEqual(['https://shop.test/a', 'https://shop.test/b?x=1', 'https://shop.test/c']);
  });

  it('records a link with its entities decoded and writes the tracking URL back entity-encoded', () => {
    const result = trackEmailHtml('<a href="https://shop.test/p?a=1&amp;b=2&#38;c=&quot;3&quot;">P</a>', {
      openPixelUrl: null,
      clickUrl: (url) => `https://t.test/c?to=${url}&sig="s"`,
    });

    expect(result.links).toEqual(['https://shop.test/p?a=1&b=2&c="3"']);
    expect(result.html).toBe(
      '<a href="https://t.test/c?to=https://shop.test/p?a=1&amp;b=2&amp;c=&quot;3&quot;&amp;sig=&quot;s&quot;">P</a>',
    );
  });

  it('does not take <abbr> or <area> for links', () => {
    const html = '<abbr href="https://shop.test/x">X</abbr><area href="https://shop.test/y">';
    expect(trackEmailHtml(html, clicksOnly)).toEqual({ html, links: [] });
  });

  it('adds the open pixel just before </body>, whatever its case', () => {
    const result = trackEmailHtml('<html><BODY><p>Hi</p></BODY></html>', {
      openPixelUrl: 'https://t.test/m/o/T?a=1&b=2',
      clickUrl: null,
    });

    expect(result.html).toBe(
      '<html><BODY><p>Hi</p><img src="https://t.test/m/o/T?a=1&amp;b=2" alt="" width="1" height="1" style="display:none"></BODY></html>',
    );
  });

  it('adds the open pixel at the end of a fragment without </body>, and leaves links when clickUrl is null', () => {
    const result = trackEmailHtml('<p><a href="https://shop.test/">Hi</a></p>', {
      openPixelUrl: 'https://t.test/m/o/T',
      clickUrl: null,
    });

    expect(result).toEqual({
      html: '<p><a href="https://shop.test/">Hi</a></p><img src="https://t.test/m/o/T" alt="" width="1" height="1" style="display:none">',
      links: [],
    });
  });
});

describe('unsubscribeHeaders', () => {
  it('gives the one-click pair with the web URL first and the mailto second', () => {
    expect(unsubscribeHeaders('https://shop.test/m/u/TOKEN', 'unsubscribe@shop.test')).toEqual({
      'List-Unsubscribe': '<https://shop.test/m/u/TOKEN>, <mailto:unsubscribe@shop.test>',
      'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    });
  });

  it('takes a mailto: URI as it is and works without one', () => {
    expect(
      unsubscribeHeaders('https://shop.test/m/u/T', 'mailto:u@shop.test?subject=unsubscribe')[
        'List-Unsubscribe'
      ],
    ).toBe('<https://shop.test/m/u/T>, <mailto:u@shop.test?subject=unsubscribe>');
    expect(unsubscribeHeaders('http://localhost:3000/m/u/T')['List-Unsubscribe']).toBe(
      '<http://localhost:3000/m/u/T>',
    );
  });

  it('refuses a non-web URL and targets that would break out of the angle brackets or the header line', () => {
    expect(() => unsubscribeHeaders('javascript:alert(1)')).toThrow(/http\(s\) URL/);
    expect(() => unsubscribeHeaders('https://shop.test/u>, <https://evil.test')).toThrow(/angle brackets/);
    expect(() => unsubscribeHeaders('https://shop.test/u', 'a@b.test>\r\nBcc: x@evil.test')).toThrow(
      /angle brackets/,
    );
  });
});
