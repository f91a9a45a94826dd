import { sha256Hex } from "../../src/lib/hash.ts";
import type { MessageType } from "./protocol.ts";

/**
 * The `webhook-id` of a message about one work order, derived from its idempotency key: every
 * retry of the same create (or cancel) carries the same id, so the contractor stores it once.
 * Hashing keeps the id short and free of the separators the key may contain.
 */
export async function deriveMessageId(type: MessageType, key: string): Promise<string> {
  const hex = sha256Hex(`${type}\n${key}`);
  return `msg_${hex.slice(0, 40)}`;
}

/** A fresh, unique message id for one-off signed requests (lookups). */
export function randomMessageId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
}
