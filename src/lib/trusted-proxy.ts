import ipaddr from "ipaddr.js";

/**
 * Whose `X-Forwarded-For` and `X-Forwarded-Proto` Silta believes (SILTA_TRUSTED_PROXY): `"any"`
 * peer (one proxy in front, and nothing else can reach Silta), or peers whose address is in one
 * of these addresses or CIDR ranges. An empty list: nobody; the headers are ignored.
 */
export type TrustedProxies = "any" | readonly string[];

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Whether `text` is an IP address (dotted IPv4 or IPv6) or a CIDR range of them. */
export function isProxyEntry(text: string): boolean {
  return (
    ipaddr.IPv4.isValidFourPartDecimal(text) ||
    ipaddr.IPv6.isValid(text) ||
    ipaddr.IPv4.isValidCIDRFourPartDecimal(text) ||
    ipaddr.IPv6.isValidCIDR(text)
  );
}

function parseAddress(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const trimmed = text.trim();
  if (!ipaddr.IPv4.isValidFourPartDecimal(trimmed) && !ipaddr.IPv6.isValid(trimmed)) return null;
  // process(): an IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, as Node reports IPv4 peers on a dual-stack socket) becomes IPv4.
  return ipaddr.process(trimmed);
}

function toRange(entry: string): Range {
  if (entry.includes("/")) return ipaddr.parseCIDR(entry);
  const address = ipaddr.process(entry);
  return [address, address.kind() === "ipv4" ? 32 : 128];
}

/**
 * Reads a request's client address and scheme through the trusted proxies: the forwarded headers
 * count only when the peer is one of them; otherwise the peer's own address and the URL's scheme.
 */
export function createForwardedReader(trusted: TrustedProxies) {
  const ranges = trusted === "any" ? [] : trusted.map(toRange);
  const isProxy = (address: ipaddr.IPv4 | ipaddr.IPv6) =>
    ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
  /** Whether this peer's forwarded headers are believed (with `"any"`, even an unknown peer's: the Worker knows none). */
  const trustsPeer = (peer: string | null): boolean => {
    if (trusted === "any") return true;
    if (ranges.length === 0 || peer === null) return false;
    const address = parseAddress(peer);
    return address !== null && isProxy(address);
  };
  return {
    trustsPeer,
    /**
     * The client's address: from a trusted peer, the rightmost `X-Forwarded-For` entry that is not
     * itself a trusted proxy (entries further left are the client's own claims); else the peer.
     */
    clientAddress(peer: string | null, forwardedFor: string | undefined): string | null {
      if (!forwardedFor || !trustsPeer(peer)) return peer;
      const hops = forwardedFor.split(",");
      let client: ipaddr.IPv4 | ipaddr.IPv6 | null = null;
      for (let i = hops.length - 1; i >= 0; i--) {
        const address = parseAddress(hops[i] ?? "");
        // A malformed entry ends the walk: what lies left of it cannot be attributed.
        if (address === null) break;
        client = address;
        if (trusted === "any" || !isProxy(address)) break;
      }
      return client ? client.toString() : peer;
    },
    /** Whether the browser's connection was TLS: the URL's scheme, or a trusted proxy's `X-Forwarded-Proto: https`. */
    isHttps(url: string, peer: string | null, forwardedProto: string | undefined): boolean {
      if (new URL(url).protocol === "https:") return true;
      // The first value is the hop nearest the browser.
      const proto = forwardedProto?.split(",")[0]?.trim().toLowerCase();
      return proto === "https" && trustsPeer(peer);
    },
  };
}
