import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { revokeContractorKey } from "../../src/domain/admin/contractor-keys.ts";
import { createContractorGateway, issueContractorKey } from "../../src/domain/contractor-gateway.ts";
import { CONTRACTOR_KEY_CACHE_MS, cachedContractorKey, forgetContractorKeys } from "../../src/domain/contractor-key-cache.ts";
import { sha256Hex } from "../../src/lib/hash.ts";
import { loadMappingsFromDir } from "../../src/mappings/load-node.ts";
import { createTestDatabase, type TestDatabase } from "../support/database.ts";
import { MAPPINGS_DIR } from "../support/deps.ts";

const testMappings = () => loadMappingsFromDir(MAPPINGS_DIR);

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => database?.dispose());

describe("contractor key lookups, remembered for a few seconds", () => {
  it("remembers a valid key, never an unknown one, and forgets on the TTL", async () => {
    const gateway = createContractorGateway(database, testMappings());
    const key = await issueContractorKey(database, "contractor-east");
    expect(await gateway.authenticate(key)).toEqual({ targetId: "contractor-east" });
    const now = Date.now();
    expect(cachedContractorKey(database, sha256Hex(key), now)).toBe("contractor-east");
    expect(cachedContractorKey(database, sha256Hex(key), now + CONTRACTOR_KEY_CACHE_MS + 1)).toBeUndefined();
    expect(await gateway.authenticate("silta_made-up")).toBeNull();
    expect(cachedContractorKey(database, sha256Hex("silta_made-up"), now)).toBeUndefined();
  });

  it("stops a key revoked here at once; one revoked by another process once the cache forgets it", async () => {
    const gateway = createContractorGateway(database, testMappings());
    const mine = await issueContractorKey(database, "contractor-east");
    expect(await gateway.authenticate(mine)).not.toBeNull();
    const [row] = await database.rows<{ id: number }>(sql`select id from contractor_keys where key_hash = ${sha256Hex(mine)}`);
    await revokeContractorKey(database, "admin:test", "contractor-east", Number(row?.id));
    expect(await gateway.authenticate(mine)).toBeNull();

    const theirs = await issueContractorKey(database, "contractor-east");
    expect(await gateway.authenticate(theirs)).not.toBeNull();
    // Another process revokes: only the database changes.
    await database.rows(sql`update contractor_keys set revoked_at = now() where key_hash = ${sha256Hex(theirs)}`);
    expect(await gateway.authenticate(theirs)).not.toBeNull(); // within CONTRACTOR_KEY_CACHE_MS
    forgetContractorKeys(database); // what the TTL does
    expect(await gateway.authenticate(theirs)).toBeNull();
  });
});
