import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createS3PhotoStore } from "../../adapters/photos/s3-store.ts";

/**
 * The production photo store against an S3-compatible endpoint (R2's shape), its HTTP faked by
 * msw: uploads are path-style PUTs signed with AWS Signature V4, reads return the bytes, a
 * missing key is null, and a refusal is an error (never a silent loss).
 */
const ENDPOINT = "https://account.r2.cloudflarestorage.com";
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: "error" }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const store = createS3PhotoStore({
  endpoint: ENDPOINT,
  bucket: "silta-photos",
  accessKeyId: "AKIDEXAMPLE",
  secretAccessKey: "secret",
});

describe("S3-compatible photo store", () => {
  it("puts signed, path-style, and gets the bytes back", async () => {
    const kept = new Map<string, { bytes: Uint8Array; type: string }>();
    const seen: { authorization: string | null; sha: string | null }[] = [];
    server.use(
      http.put(`${ENDPOINT}/silta-photos/*`, async ({ request }) => {
        seen.push({ authorization: request.headers.get("authorization"), sha: request.headers.get("x-amz-content-sha256") });
        kept.set(new URL(request.url).pathname, {
          bytes: new Uint8Array(await request.arrayBuffer()),
          type: request.headers.get("content-type") ?? "",
        });
        return new HttpResponse(null, { status: 200 });
      }),
      http.get(`${ENDPOINT}/silta-photos/*`, ({ request }) => {
        const found = kept.get(new URL(request.url).pathname);
        return found
          ? new HttpResponse(found.bytes, { headers: { "content-type": found.type } })
          : new HttpResponse(null, { status: 404 });
      }),
    );
    await store.put("photos/2026-001/abc", new Uint8Array([1, 2, 3]), "image/jpeg");
    expect([...kept.keys()]).toEqual(["/silta-photos/photos/2026-001/abc"]);
    expect(seen[0]?.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/auto\/s3\/aws4_request, SignedHeaders=.*, Signature=[0-9a-f]{64}$/,
    );
    // S3 accepts an unsigned payload over TLS; aws4fetch signs everything else.
    expect(seen[0]?.sha).toBe("UNSIGNED-PAYLOAD");
    expect(await store.get("photos/2026-001/abc")).toEqual({ bytes: new Uint8Array([1, 2, 3]), contentType: "image/jpeg" });
    expect(await store.get("photos/2026-001/missing")).toBeNull();
  });

  it("fails loudly when the bucket refuses", async () => {
    server.use(http.put(`${ENDPOINT}/silta-photos/*`, () => new HttpResponse("AccessDenied", { status: 403 })));
    await expect(store.put("photos/x/y", new Uint8Array([1]), "image/png")).rejects.toThrow(/HTTP 403/);
  });
});
