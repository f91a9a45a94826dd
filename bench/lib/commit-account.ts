import postgres from "postgres";

/**
 * What a run cost the PostgreSQL server, read around it: transactions of the run's database
 * (pg_stat_database; read-only ones included), the commit records it wrote (pg_walinspect reads
 * them from the WAL: transactions that changed something), WAL bytes and WAL flushes (pg_stat_wal,
 * cluster-wide: the bench's server runs nothing else). Statistics reach pg_stat_database when a
 * backend goes idle or exits, so `finish` is called after the Silta processes stopped.
 */
export interface ServerCost {
  transactions: number;
  /**
   * null when the WAL could not be read: the bench's role may not (pg_walinspect needs a
   * superuser), or other work on the server recycled the run's WAL segments meanwhile.
   */
  commitRecords: number | null;
  /** Why `commitRecords` is null, when it is. */
  commitRecordsUnavailable?: string;
  walBytes: number;
  walFlushes: number;
}

export async function startServerAccount(url: string) {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  // The run's database is fresh and dropped afterwards, so the extension goes with it.
  const walinspect = await sql`create extension if not exists pg_walinspect`.then(
    () => true,
    () => false,
  );
  const read = async () => {
    const [row] = await sql<{ lsn: string; xacts: string; flushes: string }[]>`
      -- The flushed position, not the inserted one: pg_walinspect refuses an end it cannot read yet
      -- ("cannot accept future end LSN") when other work keeps writing WAL.
      select pg_current_wal_flush_lsn()::text as lsn,
        (select xact_commit + xact_rollback from pg_stat_database where datname = current_database())::text as xacts,
        (select wal_sync from pg_stat_wal)::text as flushes`;
    if (!row) throw new Error("pg_stat_database returned nothing");
    return row;
  };
  const start = await read();
  return {
    async finish(): Promise<ServerCost> {
      const end = await read();
      const [wal] = await sql<{ bytes: string }[]>`select (${end.lsn}::pg_lsn - ${start.lsn}::pg_lsn)::text as bytes`;
      // Other work on the server may have recycled the run's first WAL segments ("requested WAL
      // segment … has already been removed"): then the commit count is unknown, not a crash.
      let commitRecords: number | null = null;
      let unavailable: string | undefined = walinspect ? undefined : "pg_walinspect needs a superuser";
      if (walinspect) {
        try {
          const [commits] = await sql<{ n: string }[]>`
            select count::text as n from pg_get_wal_stats(${start.lsn}::pg_lsn, ${end.lsn}::pg_lsn, true)
            where "resource_manager/record_type" = 'Transaction/COMMIT'`;
          commitRecords = Number(commits?.n ?? 0);
        } catch (error) {
          unavailable = `the run's WAL could not be read (${error instanceof Error ? error.message : String(error)}); raise wal_keep_size to keep it`;
        }
      }
      await sql.end();
      return {
        // This connection's own reads of the counters are in the count: two, not worth subtracting.
        transactions: Number(end.xacts) - Number(start.xacts),
        commitRecords,
        ...(unavailable ? { commitRecordsUnavailable: unavailable } : {}),
        walBytes: Number(wal?.bytes ?? 0),
        walFlushes: Number(end.flushes) - Number(start.flushes),
      };
    },
    close: () => sql.end(),
  };
}
