import ipaddr from "ipaddr.js";
import { SiltaError } from "../kernel/errors.ts";

/**
 * Where Silta may send a request (S5). One policy decides, for every outbound URL and for every
 * address a host name resolves to: only allowed schemes and hosts, no credentials in the URL, and
 * never a private, loopback, link-local, unique-local, CGNAT, unspecified, multicast, broadcast,
 * reserved or metadata address unless the operator opted in for that destination.
 *
 * Pure: no `node:` imports, so the Worker applies the URL-level checks too. Name resolution and
 * pinning the checked address live in `src/runtime/outbound-fetch-node.ts`.
 */
export interface OutboundPolicy {
  /** Allowed schemes, with the colon: `https:` always; `http:` only where the operator configured it. */
  schemes: readonly ("https:" | "http:")[];
  /** Allowed hosts: exact names (`asiointi.hel.fi`) or `*.suffix` (any name under suffix); empty: any host. */
  hosts: readonly string[];
  /** The operator's opt-in for destinations on loopback or private networks (the sandbox, Stara's internal network). */
  allowPrivate: boolean;
  /** Allowed ports (a URL without one counts as its scheme's default); absent: any port. */
  ports?: readonly number[];
}

/** Media URLs go to contractors, who fetch them: only the city's own attachment host, over https on 443. */
export const DEFAULT_MEDIA_HOSTS: readonly string[] = ["asiointi.hel.fi"];

/** The policy for media URLs in work orders, from the allowed hosts (`SILTA_MEDIA_HOSTS`). */
export function mediaPolicy(hosts: readonly string[] = DEFAULT_MEDIA_HOSTS): OutboundPolicy {
  return { schemes: ["https:"], hosts, allowPrivate: false, ports: [443] };
}

/**
 * The policy for one configured target: only its own host, https unless the operator opted in for
 * a private network (where plain http between internal systems is the operator's call).
 */
export function targetPolicy(url: string, allowPrivate: boolean): OutboundPolicy {
  const host = hostOf(url);
  return { schemes: allowPrivate ? ["https:", "http:"] : ["https:"], hosts: host ? [host] : [], allowPrivate };
}

/**
 * Names that only ever mean something inside a network: refused like private addresses, so that
 * the Worker (which cannot resolve names) still refuses them. Cloud metadata services answer on
 * `metadata.google.internal`, `metadata`, `instance-data` and the like.
 */
const INTERNAL_NAME = /(^|\.)(localhost|local|internal|intranet|lan|home\.arpa|localdomain)$/;
const INTERNAL_SINGLE_LABEL = /^[^.]+$/;

/** Every IPv6 address Silta may reach is global unicast (2000::/3). */
const GLOBAL_UNICAST_V6 = ipaddr.IPv6.parseCIDR("2000::/3");

export type OutboundCheck = { ok: true; url: URL } | { ok: false; reason: string };

/**
 * Checks a URL against the policy without resolving names. The WHATWG parser has already
 * normalised IPv4 hosts in http(s) URLs (`0x7f.1`, `2130706433`, `017700000001`, `127.1` all become
 * `127.0.0.1`), so an address host is classified as the address it is. The reason names the rule,
 * never the URL (which may carry a token or a citizen's file name).
 */
export function checkOutboundUrl(input: string | URL, policy: OutboundPolicy): OutboundCheck {
  let url: URL;
  try {
    url = typeof input === "string" ? new URL(input) : input;
  } catch {
    return { ok: false, reason: "not a URL" };
  }
  if (!policy.schemes.includes(url.protocol as "https:" | "http:")) {
    return { ok: false, reason: `scheme ${url.protocol.slice(0, 20)} is not allowed` };
  }
  if (url.username !== "" || url.password !== "") return { ok: false, reason: "credentials in the URL are not allowed" };
  const host = bareHost(url.hostname);
  if (host === "") return { ok: false, reason: "no host" };
  if (policy.hosts.length > 0 && !policy.hosts.some((allowed) => hostMatches(host, allowed))) {
    return { ok: false, reason: "host is not on the allow-list" };
  }
  const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
  if (policy.ports && !policy.ports.includes(port)) return { ok: false, reason: `port ${port} is not allowed` };
  if (ipaddr.isValid(host)) {
    const refused = refusedAddressRange(host);
    if (refused && !policy.allowPrivate) return { ok: false, reason: `address is ${refused}` };
  } else if (!policy.allowPrivate && (INTERNAL_NAME.test(host) || INTERNAL_SINGLE_LABEL.test(host))) {
    return { ok: false, reason: "host is an internal name" };
  }
  return { ok: true, url };
}

/** Like checkOutboundUrl, but throws the classified error (`outbound_refused`, permanent). */
export function assertOutboundUrl(input: string | URL, policy: OutboundPolicy, what: string): URL {
  const checked = checkOutboundUrl(input, policy);
  if (!checked.ok) throw outboundRefused(what, checked.reason);
  return checked.url;
}

/**
 * The range an address belongs to when Silta must not reach it (`loopback`, `private`,
 * `linkLocal` — which holds the 169.254.169.254 metadata service —, `uniqueLocal`,
 * `carrierGradeNat`, `unspecified`, `multicast`, `broadcast`, `reserved`, …), or null for a public
 * unicast address. IPv4-mapped IPv6 is judged as the IPv4 address it carries; IPv6 outside global
 * unicast (2000::/3), and the transition ranges that embed IPv4 (6to4, Teredo, NAT64), are refused.
 * Text that is not a plain address is refused as `not an address`.
 */
export function refusedAddressRange(address: string): string | null {
  const text = bareHost(address);
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !ipaddr.IPv6.isValid(text)) return "not an address";
  let parsed: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    parsed = ipaddr.process(text);
  } catch {
    return "not an address";
  }
  const range = parsed.range();
  if (parsed.kind() === "ipv6") {
    if (range !== "unicast") return range;
    if (!parsed.match(GLOBAL_UNICAST_V6)) return "reserved";
    if ((parsed as ipaddr.IPv6).zoneId) return "linkLocal";
    return null;
  }
  return range === "unicast" ? null : range;
}

/** Keeps the media URLs the policy allows; the dropped ones are only counted (their text may be anything). */
export function filterMediaUrls(urls: readonly string[], policy: OutboundPolicy): { kept: string[]; dropped: number } {
  const kept: string[] = [];
  let dropped = 0;
  for (const url of urls) {
    if (checkOutboundUrl(url, policy).ok) kept.push(url);
    else dropped++;
  }
  return { kept, dropped };
}

/** The error for a refused destination: permanent (a retry goes to the same place), parked with the reason. */
export function outboundRefused(what: string, reason: string): SiltaError {
  return new SiltaError("outbound_refused", `${what}: destination refused (${reason})`);
}

/** `exact.host` or `*.suffix` (which matches names under suffix, not suffix itself). */
export function hostMatches(host: string, allowed: string): boolean {
  const h = bareHost(host);
  const a = allowed.trim().toLowerCase().replace(/\.$/, "");
  if (a.startsWith("*.")) return h.endsWith(a.slice(1)) && h.length > a.length - 1;
  return h === bareHost(a);
}

/** The host of a URL without brackets, or null. */
function hostOf(url: string): string | null {
  try {
    return bareHost(new URL(url).hostname) || null;
  } catch {
    return null;
  }
}

/** Lower-case, without IPv6 brackets or a trailing dot. */
function bareHost(host: string): string {
  return host
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1")
    .replace(/\.$/, "");
}
