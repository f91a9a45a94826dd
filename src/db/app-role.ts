import { sql } from "drizzle-orm";
import type { Database } from "./client.ts";

/**
 * Least privilege (S8): Silta's tables are owned by the role that runs the migrations; Silta
 * itself runs as an application role that owns nothing and may only read and write rows. It
 * cannot run DDL (no CREATE on the schema, not an owner, so no ALTER or DROP), and on
 * `audit_events` it may only SELECT and INSERT (the append-only trigger refuses the rest anyway).
 */

/** A PostgreSQL role name we are willing to put into a GRANT (identifiers cannot be bound). */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** The statements `silta db grant-app-role` runs as the owner, in order; printed by `--print`. */
export function appRoleGrantStatements(role: string): string[] {
  if (!ROLE_NAME.test(role)) throw new Error(`"${role}" is not a plain role name (lower-case letters, digits, _)`);
  const r = `"${role}"`;
  return [
    `grant usage on schema public to ${r}`,
    `revoke create on schema public from ${r}`,
    `grant select, insert, update, delete on all tables in schema public to ${r}`,
    `revoke update, delete, truncate, references, trigger on audit_events from ${r}`,
    `grant usage on all sequences in schema public to ${r}`,
    // audit_append (writes the chained audit row; runs with the caller's rights).
    `grant execute on all functions in schema public to ${r}`,
    // /readyz compares the applied migrations with the build's.
    `grant usage on schema drizzle to ${r}`,
    `grant select on drizzle.__drizzle_migrations to ${r}`,
    // Tables and sequences later migrations create (run by the same owner) get the same rights.
    `alter default privileges in schema public grant select, insert, update, delete on tables to ${r}`,
    `alter default privileges in schema public grant usage on sequences to ${r}`,
  ];
}

/**
 * Grants `role` what Silta needs and nothing more; run by the owner after `silta migrate`
 * (again after a migration that adds a table, if the owner changed). The role must exist and
 * must not own Silta's tables.
 */
export async function grantAppRole(database: Database, role: string): Promise<string[]> {
  if (database.kind !== "postgres") throw new Error("database roles exist only on a PostgreSQL server (DATABASE_URL)");
  const statements = appRoleGrantStatements(role);
  const [found] = await database.rows<{ found: boolean }>(
    sql`select exists (select 1 from pg_roles where rolname = ${role}) as found`,
  );
  if (!found?.found) throw new Error(`role "${role}" does not exist: create it first (create role ${role} login password '…')`);
  const [owns] = await database.rows<{ owner: boolean | null }>(
    sql`select (select pg_has_role(${role}, c.relowner, 'USAGE') from pg_class c join pg_namespace n on n.oid = c.relnamespace
                 where n.nspname = 'public' and c.relname = 'audit_events') as owner`,
  );
  if (owns?.owner === null || owns?.owner === undefined)
    throw new Error("Silta's tables are not there yet: run `silta migrate` as the owner first");
  if (owns.owner) throw new Error(`role "${role}" owns (or inherits the owner of) Silta's tables: use a separate role`);
  await database.db.transaction(async (tx) => {
    for (const statement of statements) await tx.execute(sql.raw(statement));
  });
  return statements;
}

/**
 * Whether the connected role may run migrations: it owns Silta's tables (or, on an empty
 * database, may create them). An application role answers false, and start skips migrating.
 */
export async function canRunMigrations(database: Database): Promise<boolean> {
  if (database.kind === "pglite") return true;
  const [row] = await database.rows<{ allowed: boolean }>(
    sql`select coalesce(
          (select pg_has_role(current_user, c.relowner, 'USAGE') from pg_class c join pg_namespace n on n.oid = c.relnamespace
            where n.nspname = 'public' and c.relname = 'audit_events'),
          has_schema_privilege(current_user, 'public', 'CREATE')) as allowed`,
  );
  return row?.allowed === true;
}
