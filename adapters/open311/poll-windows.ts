/**
 * Walking a period of `updated_datetime` in windows that a capped, unpaged list endpoint can
 * answer completely. Helsinki's list calls return at most 90 days or 200 rows and document no
 * paging, so the only way to see everything is to ask for smaller windows: a window that comes
 * back with the cap (or more) is split in half and each half asked again. Adjacent windows have
 * been seen to return the same request twice, so results are de-duplicated by id, keeping the
 * version with the latest `updated_datetime`.
 *
 * Pure: the HTTP call is the `fetchWindow` callback, so the algorithm is tested on its own.
 */

export interface WindowPage<T> {
  records: T[];
  /**
   * Rows the server sent in one answer, including rows the caller could not parse: the server's
   * cap counts those too. Defaults to `records.length`. Ignored for a paged answer.
   */
  rowCount?: number;
  /**
   * The answer was paged by the server's own signals and read to its last page: no cap applies.
   * `incomplete` then says whether the server's total count promised more rows than were read.
   */
  paged?: boolean;
  incomplete?: boolean;
}

export interface TruncatedWindow {
  after: Date;
  before: Date;
  rowCount: number;
}

/**
 * What the walk knows of the server's row cap. Known (configured, or Helsinki's documented 200),
 * or learnt: while unknown, an unpaged answer of `suspectRows` rows or more is checked by reading
 * its window in halves. If the halves find more cases than the whole did, its row count is the
 * cap; if not, the server answered in full and the threshold rises above that count. Shared by
 * every walk of one client, so the server is learnt once per process.
 */
export interface CapKnowledge {
  cap: number | null;
  suspectRows: number;
  /** Told once when a cap is learnt. */
  onLearnt?: (cap: number) => void;
}

export interface WindowWalkOptions<T> {
  /** Start of the period (inclusive). */
  from: Date;
  /** End of the period (exclusive). */
  to: Date;
  /** Longest window asked in one call (Helsinki: 90 days). */
  maxWindowMs: number;
  /** A window this short is not split further, even when capped. */
  minWindowMs: number;
  /** Row count at which the server may have left rows out (Helsinki: 200), or what is known of it. */
  cap: number | CapKnowledge;
  fetchWindow(after: Date, before: Date): Promise<WindowPage<T>>;
  /**
   * Takes each accepted window's records as it arrives, oldest window first; the walk then keeps
   * nothing and returns no records, so a long period is read in bounded memory.
   */
  onWindow?: (records: T[]) => Promise<void>;
}

export interface WindowWalkResult<T> {
  /** One record per id, the latest version, sorted by `updatedAt` then id. */
  records: T[];
  /**
   * Windows that were still capped at `minWindowMs`. Their rows are kept, but the server may have
   * held back more rows updated in that instant; the caller should log these (ids and times only).
   */
  truncatedWindows: TruncatedWindow[];
  /** Number of `fetchWindow` calls made. */
  calls: number;
}

interface Keyed {
  serviceRequestId: string;
  updatedAt: string | null;
}

const SECOND_MS = 1000;

/** Time of a record's last update in epoch ms; unknown sorts first so that any dated version wins. */
export function updatedMs(record: Keyed): number {
  if (record.updatedAt === null) return Number.NEGATIVE_INFINITY;
  const ms = Date.parse(record.updatedAt);
  return Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms;
}

/**
 * The split point of [after, before). Helsinki's timestamps have whole seconds, and a Java
 * backend may not accept milliseconds in a query, so a split lands on a whole second whenever
 * the window is long enough to allow it.
 */
export function splitPoint(after: number, before: number): number {
  const middle = after + Math.floor((before - after) / 2);
  if (before - after >= 2 * SECOND_MS) {
    const aligned = Math.floor(middle / SECOND_MS) * SECOND_MS;
    if (aligned > after && aligned < before) return aligned;
  }
  return middle;
}

/**
 * Walks [from, to) in windows of at most `maxWindowMs`, oldest first, halving any window whose
 * answer may be incomplete, and returns each record once (its latest version). An answer may be
 * incomplete when it is unpaged and holds the cap (or more), or when it was paged and the
 * server's total promised more rows than its pages held.
 *
 * A window already at `minWindowMs` that is still incomplete is kept as it is and the walk moves
 * on: splitting further cannot separate rows that share one timestamp (a bulk update can touch
 * hundreds of cases in the same second), and retrying it would stall every later window. Those
 * rows are not lost for good either: any later change moves a case into a later window, and the
 * anti-entropy re-read reads the source's whole set. The window is reported in
 * `truncatedWindows` so that the caller can raise it with admins.
 */
export async function walkUpdateWindows<T extends Keyed>(options: WindowWalkOptions<T>): Promise<WindowWalkResult<T>> {
  const { fetchWindow } = options;
  const minWindowMs = Math.max(1, Math.floor(options.minWindowMs));
  const maxWindowMs = Math.max(minWindowMs, Math.floor(options.maxWindowMs));
  const knowledge: CapKnowledge = typeof options.cap === "number" ? { cap: options.cap, suspectRows: options.cap } : options.cap;
  if (knowledge.cap !== null && !(knowledge.cap >= 1)) throw new RangeError("cap must be at least 1");
  const start = options.from.getTime();
  const end = options.to.getTime();

  const latest = new Map<string, T>();
  const truncatedWindows: TruncatedWindow[] = [];
  let calls = 0;

  const mayBeIncomplete = (page: WindowPage<T>, rowCount: number): boolean => {
    if (page.paged) return page.incomplete === true;
    return rowCount >= (knowledge.cap ?? knowledge.suspectRows);
  };

  /** Reads one window, halving it while its answer may be incomplete; returns the ids it found. */
  const walkWindow = async (after: number, before: number): Promise<Set<string>> => {
    const page = await fetchWindow(new Date(after), new Date(before));
    calls += 1;
    const rowCount = page.rowCount ?? page.records.length;
    if (mayBeIncomplete(page, rowCount)) {
      if (before - after > minWindowMs) {
        const middle = splitPoint(after, before);
        // The first answer is a subset of what the two halves return: drop it.
        const found = await walkWindow(after, middle);
        for (const id of await walkWindow(middle, before)) found.add(id);
        if (!page.paged && knowledge.cap === null) {
          if (found.size > rowCount) {
            knowledge.cap = rowCount;
            knowledge.onLearnt?.(rowCount);
          } else knowledge.suspectRows = Math.max(knowledge.suspectRows, rowCount + 1);
        }
        return found;
      }
      truncatedWindows.push({ after: new Date(after), before: new Date(before), rowCount });
    }
    const ids = new Set(page.records.map((record) => record.serviceRequestId));
    if (options.onWindow) {
      await options.onWindow(page.records);
      return ids;
    }
    for (const record of page.records) {
      const known = latest.get(record.serviceRequestId);
      // On a tie the later answer wins: it was read later.
      if (known === undefined || updatedMs(record) >= updatedMs(known)) latest.set(record.serviceRequestId, record);
    }
    return ids;
  };

  for (let chunkStart = start; chunkStart < end; chunkStart += maxWindowMs) {
    await walkWindow(chunkStart, Math.min(chunkStart + maxWindowMs, end));
  }

  const records = [...latest.values()].sort(
    (a, b) => updatedMs(a) - updatedMs(b) || (a.serviceRequestId < b.serviceRequestId ? -1 : 1),
  );
  return { records, truncatedWindows, calls };
}
