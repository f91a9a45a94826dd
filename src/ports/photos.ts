/** Where cleaned photo bytes rest: the database on the embedded path, an S3-compatible bucket (R2) in production. */
export interface PhotoStore {
  put(key: string, bytes: Uint8Array, contentType: string): Promise<void>;
  get(key: string): Promise<{ bytes: Uint8Array; contentType: string } | null>;
}

export type PhotoContentType = "image/jpeg" | "image/png" | "image/webp";

/**
 * Checks a photo by its content (JPEG, PNG or WebP, whatever it claims to be) and returns it
 * re-encoded without metadata: no location, no camera, no time, orientation applied. Throws
 * `SiltaError("photo_unsupported")` for anything else. Node only (it decodes images).
 */
export interface PhotoSanitizer {
  clean(bytes: Uint8Array): Promise<{ bytes: Uint8Array; contentType: PhotoContentType }>;
}
