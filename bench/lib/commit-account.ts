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
  /** null when the bench's role may not read the WAL (pg_walinspect needs a superuser). */
  commitRecords: number | null;
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
      select pg_current_wal_lsn()::text as lsn,
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
      const [commits] = walinspect
        ? await sql<{ n: string }[]>`
            select count::text as n from pg_get_wal_stats(${start.lsn}::pg_lsn, ${end.lsn}::pg_lsn, true)
            where "resource_manager/record_type" = 'Transaction/COMMIT'`
        : [];
      await sql.end();
      return {
        // This connection's own reads of the counters are in the count: two, not worth subtracting.
        transactions: Number(end.xacts) - Number(start.xacts),
        commitRecords: walinspect ? Number(commits?.n ?? 0) : null,
        walBytes: Number(wal?.bytes ?? 0),
        walFlushes: Number(end.flushes) - Number(start.flushes),
      };
    },
    close: () => sql.end(),
  };
}
