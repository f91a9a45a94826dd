import { eq } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { photoBlobs } from "../../db/schema/index.ts";
import type { PhotoStore } from "../../ports/photos.ts";

/** The embedded photo store: bytes in `photo_blobs`, beside everything else (PGlite or PostgreSQL). */
export function createDatabasePhotoStore(database: Database): PhotoStore {
  return {
    async put(key, bytes, contentType) {
      await database.db.insert(photoBlobs).values({ key, bytes, contentType }).onConflictDoNothing();
    },
    async get(key) {
      const [row] = await database.db.select().from(photoBlobs).where(eq(photoBlobs.key, key));
      return row ? { bytes: new Uint8Array(row.bytes), contentType: row.contentType } : null;
    },
  };
}
