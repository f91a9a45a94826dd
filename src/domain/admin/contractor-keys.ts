import { and, desc, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { contractorKeys } from "../../db/schema/index.ts";
import { sha256Hex } from "../../lib/hash.ts";
import type { Mappings } from "../../mappings/mappings.ts";
import { forgetContractorKeys } from "../contractor-key-cache.ts";
import type { ActionResult, Actor } from "./actor.ts";
import { writeAudit } from "./audit.ts";

export interface ContractorKeyInfo {
  id: number;
  label: string | null;
  createdAt: string;
  revokedAt: string | null;
  /** The first characters of the key's hash, so an admin can tell keys apart; never the key. */
  fingerprint: string;
}

/** A new key in the same format issueContractorKey uses. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `silta_${btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "")}`;
}

/** A contractor's keys, newest first; hashes stay in the database. */
export async function listContractorKeys(database: Database, target: string): Promise<ContractorKeyInfo[]> {
  const rows = await database.db
    .select()
    .from(contractorKeys)
    .where(eq(contractorKeys.target, target))
    .orderBy(desc(contractorKeys.id));
  return rows.map((r) => ({
    id: r.id,
    label: r.label,
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
    fingerprint: r.keyHash.slice(0, 12),
  }));
}

export type IssueKeyResult = { ok: true; id: number; key: string; target: string } | { ok: false; message: string };

/**
 * Issues another key for a contractor (rotation: the old key keeps working until revoked).
 * Only the hash is stored, so the key is returned once. Audited in the same transaction.
 */
export async function rotateContractorKey(
  database: Database,
  mappings: Mappings,
  actor: Actor,
  target: string,
  label: string | null,
): Promise<IssueKeyResult> {
  if (mappings.targets.get(target)?.kind !== "contractor-api")
    return { ok: false, message: `no contractor "${target}" uses the contractor API` };
  const key = newKey();
  const keyHash = sha256Hex(key);
  return database.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(contractorKeys)
      .values({ target, keyHash, label: label?.slice(0, 100) ?? null })
      .returning({ id: contractorKeys.id });
    if (!row) throw new Error("key insert returned no row");
    await writeAudit(tx, {
      actor,
      action: "contractor_key.issue",
      subject: `contractor:${target}`,
      detail: { keyId: row.id, fingerprint: keyHash.slice(0, 12), label },
      result: "issued",
    });
    return { ok: true as const, id: row.id, key, target };
  });
}

/**
 * Revokes one of a contractor's keys; audited in the same transaction. It stops working at once in
 * this process and within CONTRACTOR_KEY_CACHE_MS in every other (contractor-key-cache.ts).
 */
export async function revokeContractorKey(
  database: Database,
  actor: Actor,
  target: string,
  keyId: number,
): Promise<ActionResult> {
  const subject = `contractor:${target}`;
  const result = await database.db.transaction(async (tx) => {
    const rows = await tx
      .update(contractorKeys)
      .set({ revokedAt: sql`now()` })
      .where(and(eq(contractorKeys.id, keyId), eq(contractorKeys.target, target), isNull(contractorKeys.revokedAt)))
      .returning({ id: contractorKeys.id });
    const ok = rows.length > 0;
    await writeAudit(tx, {
      actor,
      action: "contractor_key.revoke",
      subject,
      detail: { keyId },
      result: ok ? "revoked" : "not_found",
    });
    return ok
      ? { ok, subject, result: "revoked", message: `key ${keyId} no longer works` }
      : { ok, subject, result: "not_found", message: `${target} has no active key ${keyId}` };
  });
  forgetContractorKeys(database);
  return result;
}
