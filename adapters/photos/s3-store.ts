import { AwsClient } from "aws4fetch";
import type { PhotoStore } from "../../src/ports/photos.ts";

/**
 * The photo store in an S3-compatible bucket (AWS S3, Cloudflare R2, MinIO), signed with AWS
 * Signature V4 by aws4fetch, which runs on Node and in Workers alike. Path-style addressing
 * (`<endpoint>/<bucket>/<key>`), which every S3-compatible service accepts.
 */
export function createS3PhotoStore(options: {
  endpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  region?: string;
  fetch?: (request: Request) => Promise<Response>;
}): PhotoStore {
  const client = new AwsClient({
    accessKeyId: options.accessKeyId,
    secretAccessKey: options.secretAccessKey,
    service: "s3",
    region: options.region ?? "auto",
    retries: 3,
  });
  // Looked up per call, so that a fetch installed later (msw in tests) is the one used.
  const send = options.fetch ?? ((request: Request) => fetch(request));
  const url = (key: string) =>
    `${options.endpoint.replace(/\/+$/, "")}/${options.bucket}/${key.split("/").map(encodeURIComponent).join("/")}`;
  return {
    async put(key, bytes, contentType) {
      const body = new Uint8Array(bytes);
      const signed = await client.sign(url(key), { method: "PUT", body, headers: { "content-type": contentType } });
      const response = await send(signed);
      await response.body?.cancel();
      if (!response.ok) throw new Error(`the photo bucket refused the upload: HTTP ${response.status}`);
    },
    async get(key) {
      const response = await send(await client.sign(url(key), { method: "GET" }));
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) throw new Error(`the photo bucket answered HTTP ${response.status}`);
      return {
        bytes: new Uint8Array(await response.arrayBuffer()),
        contentType: response.headers.get("content-type") ?? "application/octet-stream",
      };
    },
  };
}
