import { describe, expect, it } from "vitest";
import { cutText, FAILURE_REASON_MAX_CHARS, shortFailureReason, shortText } from "../../src/lib/failure-reason.ts";
import { failureFromAnswer, failureFromFetchError, failureFromResponse } from "../../src/lib/http-failure.ts";

/** Apache's stock 404 page. */
const APACHE_404 = `<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">
<html><head>
<title>404 Not Found</title>
</head><body>
<h1>Not Found</h1>
<p>The requested URL was not found on this server.</p>
<hr>
<address>Apache/2.4.41 (Ubuntu) Server at example.org Port 443</address>
</body></html>
`;

/** nginx's stock 502 page, with the padding comments that defeat browsers' friendly error pages. */
const NGINX_502 = `<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n</html>\r\n${"<!-- a padding to disable MSIE and Chrome friendly error page -->\r\n".repeat(6)}`;

/** A 2 KB branded error page in front of an API: styles, a script, comments, entities. */
const BRANDED_404 = `<!DOCTYPE html>
<html lang="fi">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>404 Not Found</title>
  <style>
    body { font-family: "Helsinki Grotesk", Arial, sans-serif; margin: 0; padding: 0; background: #f7f7f8; color: #1a1a1a; }
    .wrapper { max-width: 960px; margin: 4rem auto; padding: 0 1.5rem; }
    h1 { font-size: 2.5rem; line-height: 1.2; margin-bottom: 1rem; }
    p { font-size: 1.125rem; line-height: 1.6; }
    a { color: #0000bf; text-decoration: underline; }
    .footer { margin-top: 4rem; border-top: 1px solid #ccc; padding-top: 1rem; font-size: .875rem; color: #666; }
  </style>
  <script>
    window.dataLayer = window.dataLayer || [];
    function gtag(){ dataLayer.push(arguments); }
    gtag("js", new Date()); gtag("config", "G-XXXXXXX");
    if (document.location.pathname.indexOf("<api>") > -1) { console.log("</p>"); }
  </script>
</head>
<body>
  <!-- error page served by the edge proxy; do not edit by hand -->
  <div class="wrapper">
    <h1>Not Found</h1>
    <p>The requested URL was not found on this server.</p>
    <p>Sivua ei l&ouml;ytynyt &ndash; tarkista osoite. Page not found &amp; nothing to see here.</p>
    <p><a href="https://www.hel.fi/">Back to the front page</a></p>
    <div class="footer">
      <address>Apache/2.4.58 (Unix) OpenSSL/3.0.13 Server at palautews.example.org Port 443</address>
      <p>Reference: <code>7f3c9a1e-4b2d-4c8e-9f1a-2b3c4d5e6f70</code></p>
    </div>
  </div>
  <script src="/static/analytics.js" defer></script>
</body>
</html>
${"<!-- padding -->\n".repeat(40)}`;

describe("shortFailureReason", () => {
  const cases: { name: string; status: number; contentType: string | null; body: unknown; expected: string }[] = [
    {
      name: "Apache's 404 page gives its title and first sentence",
      status: 404,
      contentType: "text/html; charset=iso-8859-1",
      body: APACHE_404,
      expected:
        "HTTP 404 (text/html): Not Found – The requested URL was not found on this server. Apache/2.4.41 (Ubuntu) Server at example.org Port 443",
    },
    {
      name: "nginx's 502 page, padding comments and all",
      status: 502,
      contentType: "text/html",
      body: NGINX_502,
      expected: "HTTP 502 (text/html): Bad Gateway – nginx/1.24.0",
    },
    {
      name: "a GeoReport error body gives its descriptions",
      status: 400,
      contentType: "application/json; charset=utf-8",
      body: [
        { code: 400, description: "updated_after is not valid" },
        { code: 400, description: "service_code is missing" },
      ],
      expected: "HTTP 400 (application/json): updated_after is not valid; service_code is missing",
    },
    {
      name: "a GeoReport error body still as text",
      status: 403,
      contentType: "application/json",
      body: '[{"code":403,"description":"Invalid api_key"}]',
      expected: "HTTP 403 (application/json): Invalid api_key",
    },
    {
      name: "an object body gives its message",
      status: 401,
      contentType: "application/json",
      body: { status: 401, message: "API key missing or invalid" },
      expected: "HTTP 401 (application/json): API key missing or invalid",
    },
    {
      name: "an object body with a nested error",
      status: 500,
      contentType: "application/problem+json",
      body: { error: { code: "internal", message: "database timeout" } },
      expected: "HTTP 500 (application/problem+json): database timeout",
    },
    {
      name: "an object body without a text becomes compact JSON",
      status: 409,
      contentType: "application/json",
      body: { code: 17, retry: false },
      expected: 'HTTP 409 (application/json): {"code":17,"retry":false}',
    },
    {
      name: "plain text, whitespace collapsed",
      status: 503,
      contentType: "text/plain",
      body: "Service Unavailable\n\n  Back soon.\n",
      expected: "HTTP 503 (text/plain): Service Unavailable Back soon.",
    },
    {
      name: "an empty body gives just the status",
      status: 503,
      contentType: null,
      body: "",
      expected: "HTTP 503",
    },
    {
      name: "no body at all",
      status: 502,
      contentType: "text/html",
      body: null,
      expected: "HTTP 502 (text/html)",
    },
    {
      name: "a content type's parameters are dropped",
      status: 500,
      contentType: 'Text/Plain; charset="UTF-8"; format=flowed',
      body: "oops",
      expected: "HTTP 500 (text/plain): oops",
    },
    {
      name: "a content type that is not one is left out",
      status: 500,
      contentType: "<script>alert(1)</script>",
      body: "oops",
      expected: "HTTP 500: oops",
    },
    {
      name: "control characters and NUL are removed",
      status: 500,
      contentType: "text/plain",
      body: "bad\u0000 thing\u001b[31m happened\u0007",
      expected: "HTTP 500 (text/plain): bad thing[31m happened",
    },
    {
      name: "an XML error body gives its words",
      status: 403,
      contentType: "text/xml",
      body: '<?xml version="1.0" encoding="utf-8"?><errors><error><code>403</code><description>Invalid api_key</description></error></errors>',
      expected: "HTTP 403 (text/xml): Invalid api_key",
    },
    {
      name: "bytes are read as UTF-8 text",
      status: 429,
      contentType: "text/plain",
      body: new TextEncoder().encode("Liian monta pyyntöä"),
      expected: "HTTP 429 (text/plain): Liian monta pyyntöä",
    },
  ];

  it.each(cases)("$name", ({ status, contentType, body, expected }) => {
    expect(shortFailureReason({ status, contentType, body })).toBe(expected);
  });

  it("reduces a 2 KB branded HTML page to a short line without markup", () => {
    expect(BRANDED_404.length).toBeGreaterThan(2000);
    const reason = shortFailureReason({ status: 404, contentType: "text/html; charset=utf-8", body: BRANDED_404 });
    expect(reason.length).toBeLessThan(200);
    expect(reason).not.toContain("<");
    expect(reason).not.toContain("gtag");
    expect(reason).not.toContain("font-family");
    expect(reason).not.toContain("padding");
    expect(reason).toMatch(/^HTTP 404 \(text\/html\): Not Found – The requested URL was not found on this server\. Sivua ei/);
    expect(reason).toContain("löytynyt – tarkista osoite. Page not found & nothing");
  });

  it("keeps long texts within the limits, ending in an ellipsis", () => {
    const long = shortFailureReason({ status: 500, contentType: "text/plain", body: "word ".repeat(2000) });
    expect(long.length).toBeLessThanOrEqual(FAILURE_REASON_MAX_CHARS);
    expect(long.endsWith("…")).toBe(true);
    const descriptions = Array.from({ length: 50 }, (_, i) => ({ code: 400, description: `field_${i} is not valid` }));
    expect(shortFailureReason({ status: 400, contentType: "application/json", body: descriptions }).length).toBeLessThanOrEqual(
      FAILURE_REASON_MAX_CHARS,
    );
    const bigJson = { items: Array.from({ length: 1000 }, (_, i) => i) };
    const compact = shortFailureReason({ status: 400, contentType: "application/json", body: bigJson });
    expect(compact.length).toBeLessThanOrEqual(FAILURE_REASON_MAX_CHARS);
    expect(compact.startsWith('HTTP 400 (application/json): {"items":[0,1,2')).toBe(true);
  });

  it("stays quick on hostile markup", () => {
    const started = performance.now();
    const reason = shortFailureReason({ status: 500, contentType: "text/html", body: `<html>${"<".repeat(2_000_000)}` });
    expect(performance.now() - started).toBeLessThan(2000);
    expect(reason.length).toBeLessThanOrEqual(FAILURE_REASON_MAX_CHARS);
  });
});

describe("shortText and cutText", () => {
  it("decodes the common entities once", () => {
    expect(shortText("<p>AT&amp;T &lt;b&gt; it&#39;s &quot;x&quot;&nbsp;&nbsp;y &amp;lt;</p>")).toBe(`AT&T <b> it's "x" y &lt;`);
  });

  it("leaves unknown entities as they are", () => {
    expect(shortText("<p>&valueOf; &toString; &bogus;</p>")).toBe("&valueOf; &toString; &bogus;");
  });

  it("never splits a surrogate pair", () => {
    const cut = cutText(`${"a".repeat(8)}😀😀`, 10);
    expect(cut).toBe(`${"a".repeat(8)}…`);
    expect(cut.isWellFormed()).toBe(true);
  });

  it("leaves short plain text alone", () => {
    expect(shortText("kentta_kelpaamaton")).toBe("kentta_kelpaamaton");
  });
});

describe("failures built from answers", () => {
  it("failureFromAnswer names the call and the short reason", () => {
    const headers = new Headers({ "content-type": "text/html; charset=iso-8859-1" });
    const error = failureFromAnswer(404, headers, "Open311 requests", APACHE_404, "case_system");
    expect(error.message).toBe(
      "Open311 requests answered HTTP 404 (text/html): Not Found – The requested URL was not found on this server. Apache/2.4.41 (Ubuntu) Server at example.org Port 443",
    );
    expect(error.code).toBe("case_system_rejected");
    expect(error.httpStatus).toBe(404);
  });

  it("failureFromAnswer keeps Retry-After", () => {
    const error = failureFromAnswer(503, new Headers({ "retry-after": "7" }), "Stara create", "", "target");
    expect(error.message).toBe("Stara create answered HTTP 503");
    expect(error.retryAfterMs).toBe(7000);
  });

  it("failureFromResponse reduces a raw page passed as detail and stays short", () => {
    const error = failureFromResponse(404, new Headers(), "Open311 requests", BRANDED_404, "case_system");
    expect(error.message).not.toContain("<");
    expect(error.message.length).toBeLessThanOrEqual(300);
    expect(error.message.startsWith("Open311 requests answered HTTP 404: Not Found – The requested URL")).toBe(true);
    expect(failureFromResponse(422, new Headers(), "Stara create", "kentta_kelpaamaton").message).toBe(
      "Stara create answered HTTP 422: kentta_kelpaamaton",
    );
  });

  it("no message grows past 300 characters", () => {
    const what = "x".repeat(400);
    expect(failureFromAnswer(500, new Headers(), what, "y".repeat(5000)).message.length).toBeLessThanOrEqual(300);
    expect(failureFromResponse(500, new Headers(), what, "y".repeat(5000)).message.length).toBeLessThanOrEqual(300);
    expect(failureFromFetchError(new Error("z".repeat(5000)), what).message.length).toBeLessThanOrEqual(300);
  });
});
