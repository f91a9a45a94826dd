/**
 * Checks on served HTML for the security suite: markup that would run if a renderer
 * interpolated a hostile value raw, and the security headers every page must carry.
 */

/** Raw tags that only a hostile value could have put there (the pages have no images, frames or SVG). */
const RAW_TAGS = [/<img\b/i, /<svg\b/i, /<iframe\b/i, /<object\b/i, /<embed\b/i];

/**
 * Event handlers and `javascript:` URLs inside real tags. Quoted attribute values are removed
 * first: an escaped value cannot close its quotes, so what is inside them is only text.
 */
function handlerProblems(html: string): string[] {
  const problems: string[] = [];
  for (const tag of html.matchAll(/<[a-z][^>]*>/gi)) {
    const bare = tag[0].replace(/=\s*"[^"]*"/g, "=").replace(/=\s*'[^']*'/g, "=");
    if (/\son[a-z]+\s*=/i.test(bare) || /=\s*javascript:/i.test(bare)) problems.push(`handler in ${tag[0].slice(0, 120)}`);
  }
  return problems;
}

/**
 * What is wrong with a page's markup: any raw `<script` other than Silta's own nonce'd one,
 * or any raw tag or handler from the hostile corpus. Empty when the page is clean.
 */
export function rawMarkupProblems(html: string): string[] {
  const problems: string[] = [];
  for (const match of html.matchAll(/<script\b[^>]*>/gi)) {
    if (!/^<script nonce="[A-Za-z0-9+/=]+">$/.test(match[0])) problems.push(`raw ${match[0]}`);
  }
  for (const pattern of RAW_TAGS) {
    const match = pattern.exec(html);
    if (match) problems.push(`raw ${match[0]} near …${html.slice(Math.max(0, match.index - 40), match.index + 40)}…`);
  }
  return [...problems, ...handlerProblems(html)];
}

/**
 * What is missing from a page's security headers: a CSP that allows no inline or foreign script
 * and says who may frame the page, `nosniff`, and a referrer policy.
 */
export function securityHeaderProblems(headers: Headers): string[] {
  const problems: string[] = [];
  const csp = headers.get("content-security-policy") ?? "";
  if (!csp) problems.push("no Content-Security-Policy");
  if (!/default-src 'none'/.test(csp)) problems.push(`CSP without default-src 'none': ${csp}`);
  const scriptSrc = /script-src ([^;]*)/.exec(csp)?.[1] ?? "";
  if (/'unsafe-inline'|'unsafe-eval'|\*|https?:/.test(scriptSrc)) problems.push(`CSP script-src too wide: ${scriptSrc}`);
  if (!/frame-ancestors /.test(csp) && !headers.get("x-frame-options"))
    problems.push("neither frame-ancestors nor X-Frame-Options");
  if (headers.get("x-content-type-options") !== "nosniff") problems.push("no X-Content-Type-Options: nosniff");
  if (!headers.get("referrer-policy")) problems.push("no Referrer-Policy");
  return problems;
}
