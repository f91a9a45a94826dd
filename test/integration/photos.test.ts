import { eq } from "drizzle-orm";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { links, photoBlobs, photos } from "../../src/db/schema/index.ts";
import { buildWorkOrderPayload } from "../../src/domain/work-order-payload.ts";
import { mediaPolicy } from "../../src/lib/outbound-guard.ts";
import { makeCase, PLACES } from "../support/fakes.ts";
import { createHttpFixture, HANDLER_TOKEN, type HttpFixture } from "./http-admin-fixture.ts";

/**
 * Photos from the field: checked by content (JPEG, PNG, WebP), limited in size, stripped of
 * location and camera data, stored, shown to the handler, and written back to the case only
 * after the handler approves, once. Never echoed back to the contractor.
 */
let f: HttpFixture;
let ref = "";
let caseId = "";
beforeAll(async () => {
  f = await createHttpFixture();
  const record = makeCase({ ...PLACES.east });
  await f.deliver(record);
  caseId = record.serviceRequestId;
  ref = (await f.database.db.select().from(links).where(eq(links.caseId, caseId)))[0]?.externalRef ?? "";
});
afterAll(async () => f?.dispose());

/** A photo as a phone takes it: position and camera in its EXIF. */
async function phonePhoto(format: "jpeg" | "png" | "webp" = "jpeg", shade = 120): Promise<Uint8Array> {
  const image = sharp({ create: { width: 64, height: 48, channels: 3, background: { r: shade, g: 80, b: 40 } } }).withExif({
    IFD0: { Make: "PhoneMaker", Model: "Model-SERIAL-123" },
    IFD3: { GPSLatitudeRef: "N", GPSLatitude: "60/1 10/1 12/1", GPSLongitudeRef: "E", GPSLongitude: "24/1 56/1 30/1" },
  });
  return new Uint8Array(await image.toFormat(format).toBuffer());
}

function upload(bytes: Uint8Array, contentType: string, options: { kind?: string; key?: string; workOrder?: string } = {}) {
  return f.request(
    `/api/contractor/v1/work-orders/${encodeURIComponent(options.workOrder ?? ref)}/photos?kind=${options.kind ?? "after"}`,
    {
      method: "POST",
      token: options.key ?? f.keys.east,
      headers: { "content-type": contentType },
      body: new Uint8Array(bytes),
    },
  );
}

const text = (bytes: Uint8Array) => new TextDecoder("latin1").decode(bytes);

describe("photos from the field", () => {
  it("takes a contractor's photo, strips its location and camera data, and keeps it for the handler", async () => {
    const original = await phonePhoto();
    expect((await sharp(original).metadata()).exif).toBeDefined();
    expect(text(original)).toContain("PhoneMaker");
    const response = await upload(original, "image/jpeg");
    expect(response.status).toBe(201);
    const body = (await response.json()) as { photoId: number; state: string; duplicate: boolean; contentType: string };
    expect(body).toMatchObject({ state: "pending", duplicate: false, contentType: "image/jpeg" });

    const [row] = await f.database.db.select().from(photos).where(eq(photos.id, body.photoId));
    const [blob] = await f.database.db
      .select()
      .from(photoBlobs)
      .where(eq(photoBlobs.key, row?.storageKey ?? ""));
    const stored = new Uint8Array(blob?.bytes ?? []);
    const meta = await sharp(stored).metadata();
    expect(meta).toMatchObject({ format: "jpeg", width: 64, height: 48 });
    expect(meta.exif).toBeUndefined();
    expect(text(stored)).not.toContain("PhoneMaker");
    expect(text(stored)).not.toContain("SERIAL-123");

    // The same photo again is the same photo.
    const again = (await (await upload(original, "image/jpeg")).json()) as { photoId: number; duplicate: boolean };
    expect(again).toMatchObject({ photoId: body.photoId, duplicate: true });
  });

  it("decides the type by content: a PNG sent as JPEG is a PNG, text sent as JPEG is refused, and so is a photo over the limit", async () => {
    const png = await phonePhoto("png", 30);
    const asJpeg = await upload(png, "image/jpeg");
    expect(asJpeg.status).toBe(201);
    expect(((await asJpeg.json()) as { contentType: string }).contentType).toBe("image/png");
    const webp = await upload(await phonePhoto("webp", 60), "image/webp", { kind: "before" });
    expect(((await webp.json()) as { contentType: string }).contentType).toBe("image/webp");

    const notAPhoto = await upload(new TextEncoder().encode("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/jpeg");
    expect(notAPhoto.status).toBe(415);
    expect(((await notAPhoto.json()) as { error: { code: string } }).error.code).toBe("unsupported_media_type");
    const tooLarge = await upload(new Uint8Array(10 * 1024 * 1024 + 1), "image/jpeg");
    expect(tooLarge.status).toBe(413);
    // Another contractor's work order does not exist for this one.
    expect((await upload(png, "image/png", { key: f.keys.west })).status).toBe(404);
  });

  it("is published to the case only after the handler approves it, once; a rejected one never", async () => {
    const page = await (await f.request(`/cases/${caseId}?lang=en&token=${HANDLER_TOKEN}`, { token: null })).text();
    const pending = [...page.matchAll(/<li data-photo="(\d+)" data-state="pending">/g)].map((m) => Number(m[1]));
    expect(pending.length).toBe(3);
    const [first, second] = pending;
    expect(page).toContain("Approve for publication");
    const image = await f.request(`/cases/${caseId}/photos/${first}?token=${HANDLER_TOKEN}`, { token: null });
    expect(image.status).toBe(200);
    expect(image.headers.get("content-type")).toBe("image/jpeg");
    const [row] = await f.database.db
      .select()
      .from(photos)
      .where(eq(photos.id, first ?? 0));
    // Not public before approval.
    expect((await f.request(`/photos/${row?.publicId}`, { token: null })).status).toBe(404);

    const approve = await f.request(`/cases/${caseId}/photos/${first}/approve?lang=en&token=${HANDLER_TOKEN}`, {
      method: "POST",
      token: null,
    });
    expect(approve.headers.get("location")).toMatch(/notice=photo_approved$/);
    await f.request(`/cases/${caseId}/photos/${second}/reject?lang=en&token=${HANDLER_TOKEN}`, { method: "POST", token: null });
    await f.settle();
    const published = f.caseSystem.updates.filter((u) => u.mediaUrl);
    expect(published.map((u) => [u.serviceRequestId, u.mediaUrl])).toEqual([
      [caseId, `http://silta.test/photos/${row?.publicId}`],
    ]);
    expect((await f.request(`/photos/${row?.publicId}`, { token: null })).status).toBe(200);
    // Deciding again changes nothing and publishes nothing more.
    await f.request(`/cases/${caseId}/photos/${first}/approve?lang=en&token=${HANDLER_TOKEN}`, { method: "POST", token: null });
    await f.settle();
    expect(f.caseSystem.updates.filter((u) => u.mediaUrl)).toHaveLength(1);
    const [rejected] = await f.database.db
      .select()
      .from(photos)
      .where(eq(photos.id, second ?? 0));
    expect(rejected).toMatchObject({ state: "rejected", writtenBackAt: null });
    expect((await f.request(`/photos/${rejected?.publicId}`, { token: null })).status).toBe(404);
  });

  it("never sends a published photo back to a contractor as if the citizen had sent it", () => {
    const target = f.deps.mappings.targets.get("contractor-east");
    if (!target) throw new Error("contractor-east");
    const record = makeCase({
      ...PLACES.east,
      mediaUrls: ["https://asiointi.hel.fi/citizen.jpg", "https://silta.example.fi/photos/AbCdEfGhIjKlMnOpQr"],
    });
    const payload = buildWorkOrderPayload(record, target, "ref", {
      policy: mediaPolicy(["asiointi.hel.fi", "silta.example.fi"]),
      ownPhotoBase: "https://silta.example.fi/photos/",
    });
    expect(payload.mediaUrls).toEqual(["https://asiointi.hel.fi/citizen.jpg"]);
  });
});
