import sharp from "sharp";
import { SiltaError } from "../../src/kernel/errors.ts";
import type { PhotoContentType, PhotoSanitizer } from "../../src/ports/photos.ts";

const FORMATS: Record<string, PhotoContentType> = { jpeg: "image/jpeg", png: "image/png", webp: "image/webp" };

/**
 * The photo check and clean-up with sharp (libvips): the format is read from the bytes, never
 * from a header or a name; anything but JPEG, PNG or WebP is refused, as is a file that claims
 * to be one and does not decode. The photo is re-encoded with its orientation applied and no
 * metadata kept: sharp writes none unless asked, so GPS position, camera make and serial, time
 * and any XMP/IPTC text are gone. A pixel limit stops decompression bombs.
 */
export function createSharpSanitizer(options: { maxPixels?: number } = {}): PhotoSanitizer {
  const input = { limitInputPixels: options.maxPixels ?? 40_000_000, failOn: "error" as const };
  return {
    async clean(bytes) {
      let format: string | undefined;
      try {
        format = (await sharp(bytes, input).metadata()).format;
      } catch {
        throw new SiltaError("photo_unsupported", "the file is not a photo Silta can read: send a JPEG, PNG or WebP");
      }
      const contentType = format ? FORMATS[format] : undefined;
      if (!format || !contentType)
        throw new SiltaError("photo_unsupported", `the file is ${format ?? "unknown"}: send a JPEG, PNG or WebP`);
      try {
        const pipeline = sharp(bytes, input).rotate();
        const encoded =
          format === "jpeg"
            ? pipeline.jpeg({ quality: 85, mozjpeg: false })
            : format === "png"
              ? pipeline.png()
              : pipeline.webp({ quality: 85 });
        return { bytes: new Uint8Array(await encoded.toBuffer()), contentType };
      } catch {
        throw new SiltaError("photo_unsupported", `the ${format} file does not decode: send the photo again`);
      }
    },
  };
}
