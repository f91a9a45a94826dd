/**
 * What a GeoReport v2 server says about paging. The standard has none, and servers add it in
 * their own ways: 6Aika's reference server answers 100 rows a page, newest first, with
 * `X-Result-Count`, `X-Page-Count` and `X-Next-Page-URL`; others send an RFC 8288
 * `Link: <…>; rel="next"` or a total in `X-Total-Count`. A client that reads only the first page
 * of such a server loses every older case, silently, so every list read follows whichever of
 * these signals the server gives.
 *
 * Pure: no `node:` imports (the Worker reads cases too).
 */

export interface PagingSignals {
  /** The next page's URL (absolute), from `Link: rel="next"` or `X-Next-Page-URL`. */
  next: string | null;
  /** How many pages the answer has in all (`X-Page-Count`, `X-Total-Pages`). */
  pageCount: number | null;
  /** How many rows the query matches in all (`X-Result-Count`, `X-Total-Count`, `X-Total`). */
  totalCount: number | null;
}

function wholeNumber(value: string | null): number | null {
  if (value === null || value.trim() === "") return null;
  const n = Number(value.trim());
  return Number.isInteger(n) && n >= 0 ? n : null;
}

/** The `rel="next"` target of an RFC 8288 Link header, resolved against `base`; null when there is none. */
export function linkNext(value: string | null, base: string): string | null {
  if (value === null) return null;
  // `<url>; rel="next", <url>; rel="last"`: a comma inside <…> belongs to the URL.
  for (const match of value.matchAll(/<([^>]*)>\s*((?:;\s*[^;,]*)*)/g)) {
    const params = match[2] ?? "";
    const rel = /;\s*rel\s*=\s*"?([^";,]*)"?/i.exec(params)?.[1] ?? "";
    if (rel.toLowerCase().split(/\s+/).includes("next")) return resolve(match[1] ?? "", base);
  }
  return null;
}

function resolve(url: string, base: string): string | null {
  if (url.trim() === "") return null;
  try {
    return new URL(url.trim(), base).toString();
  } catch {
    return null;
  }
}

/** Reads the paging signals of one list answer. `base` is the URL that was asked (relative next links resolve against it). */
export function readPagingSignals(headers: Headers, base: string): PagingSignals {
  const nextHeader = headers.get("x-next-page-url");
  return {
    next: linkNext(headers.get("link"), base) ?? (nextHeader ? resolve(nextHeader, base) : null),
    pageCount: wholeNumber(headers.get("x-page-count") ?? headers.get("x-total-pages")),
    totalCount: wholeNumber(headers.get("x-result-count") ?? headers.get("x-total-count") ?? headers.get("x-total")),
  };
}

/** True when the server sent any paging signal at all. */
export function hasPagingSignals(signals: PagingSignals): boolean {
  return signals.next !== null || signals.pageCount !== null || signals.totalCount !== null;
}

/** `url` with its `page` parameter set to `page`. */
export function withPage(url: string, page: number): string {
  const next = new URL(url);
  next.searchParams.set("page", String(page));
  return next.toString();
}
