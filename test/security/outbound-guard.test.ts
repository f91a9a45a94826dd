import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkOutboundUrl,
  filterMediaUrls,
  hostMatches,
  mediaPolicy,
  type OutboundPolicy,
  refusedAddressRange,
  targetPolicy,
} from "../../src/lib/outbound-guard.ts";

/** Any host, both schemes, no opt-in: only the address rules decide. */
const OPEN: OutboundPolicy = { schemes: ["https:", "http:"], hosts: [], allowPrivate: false };

/** The SSRF corpus of reliability.md and the usual encodings of the same addresses. */
const REFUSED_URLS = [
  "http://127.0.0.1/",
  "http://[::1]/",
  "http://169.254.169.254/latest/meta-data/",
  "http://10.0.0.1/",
  "http://0x7f.1/",
  "http://2130706433/",
  "http://017700000001/",
  "http://127.1/",
  "http://0x7f000001/",
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:a9fe:a9fe]/",
  "http://[fd00::1]/",
  "http://[fe80::1]/",
  "http://[::]/",
  "http://0.0.0.0/",
  "http://0/",
  "http://100.64.0.1/",
  "http://172.16.0.1/",
  "http://192.168.1.1/",
  "http://224.0.0.1/",
  "http://255.255.255.255/",
  "http://192.0.2.1/",
  "http://[64:ff9b::7f00:1]/",
  "http://[2002:7f00:1::]/",
  "http://[::7f00:1]/",
  "http://[ff02::1]/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://metadata/",
  "http://localhost:8080/",
  "http://printer.local/",
  "file:///etc/passwd",
  "gopher://127.0.0.1:25/",
  "data:text/plain,hello",
  "ftp://example.com/",
  "javascript:alert(1)",
  "https://user:secret@example.com/",
  "not a url",
];

describe("outbound policy (S5): URL level", () => {
  it.each(REFUSED_URLS)("refuses %s", (url) => {
    const checked = checkOutboundUrl(url, OPEN);
    expect(checked.ok).toBe(false);
    // The reason names the rule, never the URL.
    if (!checked.ok) expect(checked.reason).not.toContain("secret");
  });

  it("allows public https and public addresses", () => {
    expect(checkOutboundUrl("https://example.com/a?b=c", OPEN).ok).toBe(true);
    expect(checkOutboundUrl("https://8.8.8.8/", OPEN).ok).toBe(true);
    expect(checkOutboundUrl("https://[2001:4860:4860::8888]/", OPEN).ok).toBe(true);
  });

  it("keeps a target to its own host, and to https unless it is opted into a private network", () => {
    const policy = targetPolicy("https://erp.contractor.fi/silta", false);
    expect(checkOutboundUrl("https://erp.contractor.fi/silta/webhooks", policy).ok).toBe(true);
    expect(checkOutboundUrl("https://erp.contractor.fi:8443/silta", policy).ok).toBe(true);
    expect(checkOutboundUrl("https://other.example/", policy)).toMatchObject({ ok: false, reason: /allow-list/ });
    expect(checkOutboundUrl("http://erp.contractor.fi/silta", policy)).toMatchObject({ ok: false, reason: /scheme http:/ });

    const sandbox = targetPolicy("http://127.0.0.1:4010/silta", true);
    expect(checkOutboundUrl("http://127.0.0.1:4010/silta/webhooks", sandbox).ok).toBe(true);
    // The opt-in is for the configured host only: a redirect target elsewhere is still refused.
    expect(checkOutboundUrl("http://169.254.169.254/", sandbox).ok).toBe(false);
    expect(checkOutboundUrl("http://127.0.0.1:4010/", targetPolicy("http://127.0.0.1:4010/", false)).ok).toBe(false);
  });

  it("matches hosts exactly or by *.suffix", () => {
    expect(hostMatches("asiointi.hel.fi", "asiointi.hel.fi")).toBe(true);
    expect(hostMatches("ASIOINTI.hel.fi.", "asiointi.hel.fi")).toBe(true);
    expect(hostMatches("evilasiointi.hel.fi", "asiointi.hel.fi")).toBe(false);
    expect(hostMatches("a.hel.fi", "*.hel.fi")).toBe(true);
    expect(hostMatches("hel.fi", "*.hel.fi")).toBe(false);
    expect(hostMatches("a.evilhel.fi", "*.hel.fi")).toBe(false);
  });

  it("forwards only https media URLs on the allowed hosts, and counts the rest", () => {
    const urls = [
      "https://asiointi.hel.fi/palautews/rest/v1/attachment/1.jpg",
      "http://asiointi.hel.fi/palautews/rest/v1/attachment/2.jpg",
      "https://asiointi.hel.fi:8443/3.jpg",
      "https://asiointi.hel.fi.evil.example/4.jpg",
      "https://169.254.169.254/latest/meta-data/",
      "file:///etc/passwd",
      "https://u:p@asiointi.hel.fi/5.jpg",
    ];
    expect(filterMediaUrls(urls, mediaPolicy())).toEqual({ kept: [urls[0]], dropped: 6 });
    expect(filterMediaUrls(["https://kuvat.hel.fi/a.jpg"], mediaPolicy(["*.hel.fi"])).kept).toHaveLength(1);
  });
});

/** Independent of ipaddr.js: the ranges an auditor would list, as [first octets, prefix]. */
const PRIVATE_V4: [number[], number][] = [
  [[0], 8],
  [[10], 8],
  [[100, 64], 10],
  [[127], 8],
  [[169, 254], 16],
  [[172, 16], 12],
  [[192, 0, 0], 24],
  [[192, 168], 16],
  [[198, 18], 15],
  [[224], 4],
  [[240], 4],
];

/** A random address inside one of the ranges above. */
const privateV4 = fc
  .tuple(fc.constantFrom(...PRIVATE_V4), fc.integer({ min: 0, max: 0xffffffff }))
  .map(([[prefixOctets, bits], random]) => {
    const base = prefixOctets.concat([0, 0, 0, 0]).slice(0, 4);
    const baseInt = ((base[0] ?? 0) * 2 ** 24 + (base[1] ?? 0) * 2 ** 16 + (base[2] ?? 0) * 2 ** 8 + (base[3] ?? 0)) >>> 0;
    const hostMask = bits === 32 ? 0 : 2 ** (32 - bits) - 1;
    return (baseInt & ~hostMask) + (random & hostMask);
  })
  .map((n) => n >>> 0);

function dotted(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
}

/** The ways a URL can spell an IPv4 address; the WHATWG parser turns each into the dotted form. */
function spellings(n: number): string[] {
  const [a, b, c, d] = [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];
  return [
    dotted(n),
    String(n),
    `0x${n.toString(16)}`,
    `0${n.toString(8)}`,
    `${a}.${(b << 16) + (c << 8) + d}`,
    `${a}.${b}.${(c << 8) + d}`,
    `0x${a.toString(16)}.${b}.${c}.${d}`,
    `[::ffff:${dotted(n)}]`,
  ];
}

const privateV6 = fc.oneof(
  fc.constant("::1"),
  fc.constant("::"),
  fc.integer({ min: 0xfc00, max: 0xfdff }).map((h) => `${h.toString(16)}::1`),
  fc.integer({ min: 0xfe80, max: 0xfebf }).map((h) => `${h.toString(16)}::abcd`),
  fc.integer({ min: 0xff00, max: 0xffff }).map((h) => `${h.toString(16)}::1`),
  privateV4.map((n) => `::ffff:${dotted(n)}`),
);

describe("outbound policy (S5): properties", () => {
  it("refuses every private, loopback, link-local, CGNAT, reserved or multicast IPv4 address, however the URL spells it", () => {
    fc.assert(
      fc.property(privateV4, fc.constantFrom("http:", "https:"), (n, scheme) => {
        expect(refusedAddressRange(dotted(n))).not.toBeNull();
        for (const host of spellings(n)) expect(checkOutboundUrl(`${scheme}//${host}/x`, OPEN).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("refuses every loopback, unique-local, link-local, multicast and IPv4-mapped private IPv6 address", () => {
    fc.assert(
      fc.property(privateV6, (address) => {
        expect(refusedAddressRange(address)).not.toBeNull();
        expect(checkOutboundUrl(`https://[${address}]/`, OPEN).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it("lets the operator's opt-in, and only it, reach those addresses", () => {
    fc.assert(
      fc.property(privateV4, (n) => {
        expect(checkOutboundUrl(`http://${dotted(n)}/`, { ...OPEN, allowPrivate: true }).ok).toBe(true);
      }),
      { numRuns: 100 },
    );
  });
});
