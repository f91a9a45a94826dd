import { sql } from "drizzle-orm";
import type { Sandbox } from "../../../src/sandbox/sandbox.ts";
import type { Output } from "./canaries.ts";

/** The only table where citizen data may rest (ARCHITECTURE.md, "Storage"). */
export const CITIZEN_DATA_TABLES: ReadonlySet<string> = new Set(["cases"]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * GET with the admin surfaces' rate limits respected: a 429 waits its Retry-After and asks again,
 * so that a scan of many pages is not cut short by the limiter it is not testing.
 */
export async function politeFetch(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const response = await fetch(url, { ...init, redirect: "manual" });
    if (response.status !== 429 || attempt >= 30) return response;
    await response.body?.cancel();
    await sleep(Math.min(2_000, Number(response.headers.get("retry-after") ?? "1") * 1000));
  }
}

/** Logs in to the console with the sandbox's admin token; returns the session cookie. */
export async function consoleLogin(siltaUrl: string, adminToken: string): Promise<string> {
  const response = await politeFetch(`${siltaUrl}/admin/login`, {
    method: "POST",
    body: new URLSearchParams({ token: adminToken }),
    headers: { "content-type": "application/x-www-form-urlencoded" },
  });
  if (response.status !== 303) throw new Error(`console login answered ${response.status}`);
  return (response.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
}

/** Every table of Silta's schema except the citizen-data store, each row as one output. */
export async function tableOutputs(sandbox: Sandbox): Promise<Output[]> {
  const tables = await sandbox.database.rows<{ name: string }>(
    sql`select table_name as name from information_schema.tables
        where table_schema = current_schema() and table_type = 'BASE TABLE' order by table_name`,
  );
  const outputs: Output[] = [];
  for (const { name } of tables) {
    if (CITIZEN_DATA_TABLES.has(name)) continue;
    const rows = await sandbox.database.rows<Record<string, unknown>>(sql`select * from ${sql.identifier(name)}`);
    rows.forEach((row, index) => {
      outputs.push({ place: `table ${name} row ${String(row.id ?? index)}`, text: JSON.stringify(row) });
    });
  }
  return outputs;
}

/** The rows of the citizen-data store, to prove the canaries went in. */
export async function citizenStoreOutputs(sandbox: Sandbox): Promise<Output[]> {
  const rows = await sandbox.database.rows<Record<string, unknown>>(sql`select * from cases`);
  return rows.map((row) => ({ place: `table cases row ${String(row.id)}`, text: JSON.stringify(row) }));
}

/** What left Silta for the targets and the city: the simulators' stores (their ground truth). */
export function simulatorOutputs(sandbox: Sandbox): Output[] {
  const outputs: Output[] = [];
  for (const order of sandbox.stara.sim.store.all()) {
    outputs.push({ place: `stara work order ${order.tunnus}`, text: JSON.stringify(order) });
  }
  for (const [target, contractor] of sandbox.contractors) {
    for (const order of contractor.sim.store.orders()) {
      outputs.push({ place: `${target} work order ${order.workOrderId}`, text: JSON.stringify(order) });
    }
  }
  for (const update of sandbox.helsinki.sim.store.updates.values()) {
    outputs.push({ place: `open311 update ${update.update_id}`, text: JSON.stringify(update) });
  }
  return outputs;
}

async function read(place: string, url: string, init: RequestInit): Promise<Output> {
  const response = await politeFetch(url, init);
  const text = await response.text();
  if (response.status !== 200) throw new Error(`${place} answered ${response.status}: ${text.slice(0, 300)}`);
  return { place, text };
}

/**
 * Everything Silta serves about the run: metrics, the admin API's answers and the console's
 * pages (overview, failures with each failure's detail, quarantine, findings, audit, every case's
 * timeline), the handler page and its JSON for every case, and each contractor's feed.
 */
export async function servedOutputs(sandbox: Sandbox, caseIds: readonly string[]): Promise<Output[]> {
  const base = sandbox.silta.url;
  const bearer = { headers: { authorization: `Bearer ${sandbox.adminToken}` } };
  const cookie = await consoleLogin(base, sandbox.adminToken);
  const session = { headers: { cookie } };
  const outputs: Output[] = [await read("/metrics", `${base}/metrics`, {})];

  const adminPaths = ["/overview", "/failures?limit=500", "/quarantine", "/findings", "/audit"];
  for (const target of sandbox.contractors.keys()) adminPaths.push(`/contractors/${target}/keys`);
  for (const path of adminPaths) outputs.push(await read(`admin API ${path}`, `${base}/api/admin/v1${path}`, bearer));
  const failures = JSON.parse(outputs.find((o) => o.place.startsWith("admin API /failures"))?.text ?? "{}") as {
    items?: { jobId: number }[];
  };
  const jobIds = (failures.items ?? []).map((f) => f.jobId);

  for (const path of ["", "/failures", "/quarantine", "/audit"]) {
    outputs.push(await read(`console /admin${path}`, `${base}/admin${path}`, session));
  }
  for (const jobId of jobIds) {
    outputs.push(await read(`admin API /failures/${jobId}`, `${base}/api/admin/v1/failures/${jobId}`, bearer));
    outputs.push(await read(`console /admin/failures/${jobId}`, `${base}/admin/failures/${jobId}`, session));
  }
  for (const id of caseIds) {
    const path = encodeURIComponent(id);
    outputs.push(await read(`admin API /cases/${id}`, `${base}/api/admin/v1/cases/${path}`, bearer));
    outputs.push(await read(`console /admin/cases/${id}`, `${base}/admin/cases/${path}`, session));
    outputs.push(await read(`handler page /cases/${id}`, `${base}/cases/${path}?lang=fi`, bearer));
    outputs.push(await read(`handler JSON /api/v1/cases/${id}`, `${base}/api/v1/cases/${path}`, bearer));
  }
  for (const [target, key] of sandbox.contractorKeys) {
    const auth = { headers: { authorization: `Bearer ${key}` } };
    outputs.push(await read(`${target} feed`, `${base}/api/contractor/v1/work-orders?limit=500`, auth));
    outputs.push(await read(`${target} deliveries`, `${base}/api/contractor/v1/deliveries?state=failed`, auth));
  }
  return outputs;
}
