/**
 * Short, readable reasons for failed HTTP calls. The reason is stored (outbox_jobs.last_error,
 * the ledger) and logged, so it must stay one short line of plain text whatever the server sent:
 * a proxy's 2 KB HTML error page becomes its title and first sentence, a GeoReport error body
 * becomes its descriptions, and nothing grows past `FAILURE_REASON_MAX_CHARS`.
 *
 * Pure, no `node:` imports: the Worker uses it too.
 */

/** How much of the body's text a reason keeps. */
export const FAILURE_REASON_TEXT_CHARS = 160;
/** The longest reason `shortFailureReason` returns. */
export const FAILURE_REASON_MAX_CHARS = 200;
/**
 * How much of a text body is read for its words: an error page's title and first sentence come
 * long before this, and every pattern below stays cheap on it whatever the bytes are.
 */
const SCAN_CHARS = 64 * 1024;

/** What a failed HTTP answer consists of, as far as its reason is concerned. */
export interface FailedAnswer {
  status: number;
  /** The Content-Type header as sent (parameters such as `charset` are dropped). */
  contentType: string | null;
  /** The body: text, bytes, or what a client already parsed from JSON. */
  body: unknown;
}

/**
 * `HTTP 404 (text/html): Not Found – The requested URL was not found on this server.`: the
 * status, the media type and the first words of the body as plain text; `HTTP 503` when the body
 * is empty. Never longer than `FAILURE_REASON_MAX_CHARS`.
 */
export function shortFailureReason(input: FailedAnswer): string {
  const mediaType = mediaTypeOf(input.contentType);
  const status = Number.isInteger(input.status) ? String(input.status) : "?";
  const head = `HTTP ${status}${mediaType ? ` (${mediaType})` : ""}`;
  const text = bodyText(input.body, mediaType, status);
  return cutText(text ? `${head}: ${text}` : head, FAILURE_REASON_MAX_CHARS);
}

/**
 * A text made short and plain: markup reduced to its words when the text is HTML or XML, control
 * characters removed, whitespace collapsed, cut to `maxChars` (ending in "…" when cut). With the
 * answer's `status`, a page title repeating it (`404 Not Found`) loses the number.
 */
export function shortText(text: string, maxChars: number = FAILURE_REASON_TEXT_CHARS, status: number | null = null): string {
  const scanned = text.slice(0, SCAN_CHARS);
  const statusText = status === null ? null : String(status);
  return cutText(looksLikeMarkup(scanned, null) ? markupText(scanned, statusText) : plainText(scanned), maxChars);
}

/**
 * The text cut to at most `maxChars` characters (UTF-16 code units), ending in "…" when cut. The cut
 * never splits a surrogate pair and prefers a word boundary close to the limit.
 */
export function cutText(text: string, maxChars: number): string {
  if (text.length <= maxChars) return text;
  if (maxChars <= 1) return maxChars === 1 ? "…" : "";
  let end = maxChars - 1;
  if (isHighSurrogate(text.charCodeAt(end - 1))) end -= 1;
  const space = text.lastIndexOf(" ", end);
  if (space > 0 && end - space <= 20) end = space;
  return `${text.slice(0, end).trimEnd()}…`;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** `text/html` of `text/html; charset=utf-8`; null when absent or not a media type. */
function mediaTypeOf(contentType: string | null): string | null {
  if (!contentType) return null;
  const type = (contentType.split(";")[0] ?? "").trim().toLowerCase();
  return /^[a-z0-9][a-z0-9!#$&^_.+-]{0,40}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,60}$/.test(type) ? type : null;
}

function bodyText(body: unknown, mediaType: string | null, status: string): string {
  if (body === null || body === undefined) return "";
  if (typeof body === "string") return stringBodyText(body, mediaType, status);
  if (body instanceof ArrayBuffer || ArrayBuffer.isView(body)) {
    const bytes =
      body instanceof ArrayBuffer ? new Uint8Array(body) : new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    return stringBodyText(new TextDecoder().decode(bytes), mediaType, status);
  }
  if (typeof body === "object") return cutText(plainText(jsonText(body)), FAILURE_REASON_TEXT_CHARS);
  if (typeof body === "number" || typeof body === "boolean") return String(body);
  return "";
}

function stringBodyText(text: string, mediaType: string | null, status: string): string {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  const jsonLike = mediaType?.includes("json") || trimmed.startsWith("{") || trimmed.startsWith("[");
  if (jsonLike) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      const described = typeof parsed === "string" ? parsed : jsonText(parsed);
      return cutText(plainText(described), FAILURE_REASON_TEXT_CHARS);
    } catch {
      // Not JSON after all: read it as text.
    }
  }
  const scanned = trimmed.slice(0, SCAN_CHARS);
  const readable = looksLikeMarkup(scanned, mediaType) ? markupText(scanned, status) : plainText(scanned);
  return cutText(readable, FAILURE_REASON_TEXT_CHARS);
}

/**
 * The human-readable part of a JSON error body: GeoReport's `[{code, description}]` gives its
 * descriptions, an object its `description`, `detail`, `message` or `error` text; anything else
 * is compact JSON.
 */
function jsonText(body: unknown): string {
  if (Array.isArray(body)) {
    return body.map((item) => describedBy(item) ?? compactJson(item)).join("; ");
  }
  return describedBy(body) ?? compactJson(body);
}

function describedBy(value: unknown): string | null {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const record = value as Record<string, unknown>;
  for (const key of ["description", "detail", "message", "error"]) {
    const text = record[key];
    if (typeof text === "string" && text.trim() !== "") return text;
  }
  // `{"error": {"code": …, "message": …}}`
  const nested = record.error;
  if (typeof nested === "object" && nested !== null && !Array.isArray(nested)) return describedBy(nested);
  return null;
}

function compactJson(value: unknown): string {
  try {
    // Cut early: a big body need not be copied whole to keep its first 160 characters.
    return (JSON.stringify(value) ?? "").slice(0, FAILURE_REASON_TEXT_CHARS * 2);
  } catch {
    return "";
  }
}

function looksLikeMarkup(text: string, mediaType: string | null): boolean {
  if (mediaType && (mediaType.includes("html") || mediaType.includes("xml"))) return true;
  return (
    /^\s*<(?:!doctype|!--|\?xml|[a-z][a-z0-9-]*[\s/>])/i.test(text) || /<\/(?:html|body|head|title|p|div|h[1-6])\s*>/i.test(text)
  );
}

/** Elements whose tags separate words; other tags (inline ones) are dropped without a space. */
const INLINE_TAGS = new Set([
  "a",
  "abbr",
  "b",
  "bdi",
  "bdo",
  "big",
  "cite",
  "code",
  "del",
  "dfn",
  "em",
  "font",
  "i",
  "ins",
  "kbd",
  "mark",
  "q",
  "s",
  "samp",
  "small",
  "span",
  "strike",
  "strong",
  "sub",
  "sup",
  "time",
  "tt",
  "u",
  "var",
]);

/**
 * The words of an HTML or XML page: its title, then its body text without a repeat of the title
 * (a leading status number, which the reason already names, is dropped from both).
 */
function markupText(markup: string, status: string | null): string {
  const withoutNoise = markup
    .replace(/<!--[\s\S]*?(?:-->|$)/g, " ")
    .replace(/<!\[CDATA\[([\s\S]*?)(?:\]\]>|$)/g, "$1")
    .replace(/<(script|style|noscript|template)\b[^>]{0,1000}>[\s\S]*?(?:<\/\1\s*>|$)/gi, " ")
    .replace(/<(?:!doctype|\?)[^>]{0,1000}>/gi, " ");
  const titleMatch = /<title\b[^>]{0,1000}>([\s\S]*?)(?:<\/title\s*>|$)/i.exec(withoutNoise);
  const title = dropStatus(plainText(decodeEntities(stripTags(titleMatch?.[1] ?? ""))), status);
  const rest = withoutNoise
    .replace(/<head\b[^>]{0,1000}>[\s\S]*?(?:<\/head\s*>|$)/i, " ")
    .replace(/<title\b[^>]{0,1000}>[\s\S]*?(?:<\/title\s*>|$)/gi, " ");
  let body = dropStatus(plainText(decodeEntities(stripTags(rest))), status);
  if (title && body.toLowerCase().startsWith(title.toLowerCase())) {
    body = body.slice(title.length).replace(/^[\s\-–—:|.]+/, "");
  }
  if (title && body) return `${title} – ${body}`;
  return title || body;
}

function stripTags(markup: string): string {
  return markup.replace(/<\/?([a-z][a-z0-9:-]{0,40})\b[^>]{0,1000}>|<[^<>]{0,1000}>/gi, (_tag, name: string | undefined) =>
    name && INLINE_TAGS.has(name.toLowerCase()) ? "" : " ",
  );
}

/** `404 Not Found` → `Not Found`, when 404 is the answer's status. */
function dropStatus(text: string, status: string | null): string {
  if (!status || !text.startsWith(status)) return text;
  const rest = text.slice(status.length);
  if (rest !== "" && !/^[\s\-–—:|.]/.test(rest)) return text;
  return rest.replace(/^[\s\-–—:|.]+/, "");
}

const NAMED_ENTITIES = new Map<string, string>(
  Object.entries({
    amp: "&",
    lt: "<",
    gt: ">",
    quot: '"',
    apos: "'",
    nbsp: " ",
    ndash: "–",
    mdash: "—",
    hellip: "…",
    copy: "©",
    auml: "ä",
    ouml: "ö",
    aring: "å",
    uuml: "ü",
    eacute: "é",
    Auml: "Ä",
    Ouml: "Ö",
    Aring: "Å",
    Uuml: "Ü",
    Eacute: "É",
  }),
);

/** Entities decoded in one pass, so that `&amp;lt;` stays `&lt;`. */
function decodeEntities(text: string): string {
  return text.replace(/&(#[0-9]{1,7}|#x[0-9a-f]{1,6}|[a-z]{2,8});/gi, (entity, name: string) => {
    if (name.startsWith("#")) {
      const code = name[1] === "x" || name[1] === "X" ? Number.parseInt(name.slice(2), 16) : Number.parseInt(name.slice(1), 10);
      return code > 0 && code <= 0x10ffff && !(code >= 0xd800 && code <= 0xdfff) ? String.fromCodePoint(code) : " ";
    }
    return NAMED_ENTITIES.get(name) ?? NAMED_ENTITIES.get(name.toLowerCase()) ?? entity;
  });
}

/**
 * One line of plain text: whitespace collapsed, control characters (NUL included) and bidi
 * overrides removed, lone surrogates replaced, no space before punctuation.
 */
function plainText(text: string): string {
  return text
    .toWellFormed()
    .replace(/[\t\n\v\f\r]/g, " ")
    .replace(/[\p{Cc}\u202a-\u202e\u2066-\u2069]/gu, "")
    .replace(/\s+/g, " ")
    .replace(/ ([.,;:!?])(?=\s|$)/g, "$1")
    .trim();
}
