import { canonicalJson, sha256Hex } from "../../lib/hash.ts";
import type { CaseRecord } from "../../ports/case-system.ts";

/**
 * What this process knows the database holds: the content hash of each case it stored, or found
 * stored, most recent first out. A polled case whose hash is the one remembered is unchanged
 * without asking the database again; any other is compared with the database as before. Every
 * poll re-reads its overlap, and most of what it lists is what it took in a second ago.
 *
 * Only ever a shortcut to "unchanged": a case changed by another process is compared with the
 * database as before, because its new content has another hash.
 */
const MAX_ENTRIES = 50_000;
const memos = new WeakMap<object, Map<string, string>>();

/** The memo of one Silta instance (its deps object). */
export function storedHashesOf(owner: object): Map<string, string> {
  let memo = memos.get(owner);
  if (!memo) {
    memo = new Map();
    memos.set(owner, memo);
  }
  return memo;
}

/** Remembers that the database holds `hash` for case `id`. */
export function rememberStored(memo: Map<string, string>, id: string, hash: string): void {
  memo.delete(id);
  memo.set(id, hash);
  if (memo.size > MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
}

const hashes = new WeakMap<CaseRecord, string>();

/**
 * A record's content hash (canonical JSON, SHA-256), computed once per record object: a row
 * listed again unchanged comes back as the same object (adapters/open311/parse-memo.ts).
 */
export function contentHash(record: CaseRecord): string {
  let hash = hashes.get(record);
  if (hash === undefined) {
    hash = sha256Hex(canonicalJson(record));
    hashes.set(record, hash);
  }
  return hash;
}
