import type { components } from "../openapi.d.ts";
import type { StaraStatus } from "../statuses.ts";

export type StaraWorkOrder = components["schemas"]["Tyotilaus"];
export type StaraEvent = components["schemas"]["Tapahtuma"];

/** A stored work order: Stara's record plus the key it was created with. */
export interface StoredWorkOrder {
  order: StaraWorkOrder;
  idempotencyKey: string | null;
}

/**
 * Stara's in-memory database: work orders by id with indexes by external reference and by
 * Idempotency-Key, and the append-only change log behind the change feed. It is the ground
 * truth that checkers read (for example, how many work orders each reference has).
 */
export interface StaraStore {
  insert(stored: StoredWorkOrder): void;
  get(tunnus: string): StoredWorkOrder | undefined;
  /** Work orders with this reference, oldest first. */
  findByExternalRef(externalRef: string): StoredWorkOrder[];
  findByIdempotencyKey(key: string): StoredWorkOrder | undefined;
  /** Forgets a work order entirely, as if Stara lost it (the change log keeps its history). */
  remove(tunnus: string): boolean;
  /** Every work order, oldest first. */
  all(): StaraWorkOrder[];
  size(): number;
  /** Number of work orders per external reference; a value above 1 is a duplicate. */
  countByExternalRef(): Map<string, number>;
  countByStatus(): Record<StaraStatus, number>;
  /** Appends a change; its position is the change-feed cursor. */
  appendChange(event: StaraEvent): number;
  /** Changes after the cursor position, at most `limit`. */
  changesAfter(position: number, limit: number): { changes: StaraEvent[]; last: number; more: boolean };
  changeCount(): number;
}

export function createStaraStore(): StaraStore {
  // Map iteration follows insertion order, which is creation order here.
  const orders = new Map<string, StoredWorkOrder>();
  const byExternalRef = new Map<string, string[]>();
  const byIdempotencyKey = new Map<string, string>();
  const changes: StaraEvent[] = [];

  return {
    insert(stored) {
      const { tunnus, ulkoinen_viite } = stored.order;
      orders.set(tunnus, stored);
      byExternalRef.set(ulkoinen_viite, [...(byExternalRef.get(ulkoinen_viite) ?? []), tunnus]);
      if (stored.idempotencyKey !== null && !byIdempotencyKey.has(stored.idempotencyKey)) {
        byIdempotencyKey.set(stored.idempotencyKey, tunnus);
      }
    },
    get: (tunnus) => orders.get(tunnus),
    findByExternalRef(externalRef) {
      return (byExternalRef.get(externalRef) ?? []).flatMap((tunnus) => {
        const stored = orders.get(tunnus);
        return stored ? [stored] : [];
      });
    },
    findByIdempotencyKey(key) {
      const tunnus = byIdempotencyKey.get(key);
      return tunnus === undefined ? undefined : orders.get(tunnus);
    },
    remove(tunnus) {
      const stored = orders.get(tunnus);
      if (!stored) return false;
      orders.delete(tunnus);
      const ref = stored.order.ulkoinen_viite;
      const remaining = (byExternalRef.get(ref) ?? []).filter((id) => id !== tunnus);
      if (remaining.length > 0) byExternalRef.set(ref, remaining);
      else byExternalRef.delete(ref);
      if (stored.idempotencyKey !== null && byIdempotencyKey.get(stored.idempotencyKey) === tunnus) {
        byIdempotencyKey.delete(stored.idempotencyKey);
      }
      return true;
    },
    all: () => [...orders.values()].map((stored) => stored.order),
    size: () => orders.size,
    countByExternalRef() {
      const counts = new Map<string, number>();
      for (const [ref, ids] of byExternalRef) counts.set(ref, ids.length);
      return counts;
    },
    countByStatus() {
      const counts: Record<StaraStatus, number> = {
        UUSI: 0,
        VASTAANOTETTU: 0,
        TYÖN_ALLA: 0,
        VALMIS: 0,
        SIIRRETTY_MYÖHEMMÄKSI: 0,
        EI_TOIMENPITEITÄ: 0,
        KESKEYTETTY: 0,
        VÄÄRÄ_URAKKA: 0,
        PERUTTU: 0,
      };
      for (const { order } of orders.values()) counts[order.tila] += 1;
      return counts;
    },
    appendChange(event) {
      changes.push(event);
      return changes.length;
    },
    changesAfter(position, limit) {
      const start = Math.max(0, Math.min(position, changes.length));
      const page = changes.slice(start, start + limit);
      const last = start + page.length;
      return { changes: page, last, more: last < changes.length };
    },
    changeCount: () => changes.length,
  };
}
