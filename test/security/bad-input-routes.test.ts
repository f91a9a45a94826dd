import { afterAll, describe, expect, it } from "vitest";
import { createOpen311CaseSystem } from "../../adapters/open311/client.ts";
import { createApp } from "../../src/http/app.ts";
import { bodyHasNul } from "../../src/http/limits/inbound-limits.ts";
import { generateWebhookSecret, signWebhook } from "../../src/lib/webhook-signature.ts";
import { ADMIN_TOKEN, createHttpFixture, HANDLER_TOKEN } from "../integration/http-admin-fixture.ts";
import { PLACES } from "../support/fakes.ts";

/**
 * Bad input answers 400 on every route, never 500. The routes are the app's own (`app.routes`),
 * so a route added later is probed too: each gets a NUL character (U+0000, which PostgreSQL
 * cannot store) in every path parameter, in its query (named parameters, an unknown one, a
 * parameter's name), in every field of its body (JSON escapes and raw bytes, form fields), and a
 * number beyond 2^63 wherever it takes a number. What a route takes comes from the OpenAPI
 * documents (admin and contractor API) or, for plain routes, from PLAIN_ROUTES below; a route
 * neither knows still gets the generic probes. Every probe is sent authenticated (so validation
 * is reached) and again without credentials (400, or the auth refusal that comes first).
 *
 * Headers cannot carry NUL at all: the Fetch API and Node's HTTP parser refuse it (last test).
 */

const NUL = "\u0000";
/** Beyond 2^63 (and every id column). */
const BIG = "99999999999999999999";
const BIG_NUMBER = 1e20;

const f = await createHttpFixture();
afterAll(async () => f.dispose());
const pushSecret = generateWebhookSecret();
// The fixture's app, plus push intake (it answers 404 without push secrets).
const app = createApp(
  { ...f.deps, caseSystem: createOpen311CaseSystem({ baseUrl: "http://127.0.0.1:9", pushSecrets: [pushSecret] }) },
  { adminTokens: [ADMIN_TOKEN], handlerTokens: [HANDLER_TOKEN] },
);

// ---- what each route takes ------------------------------------------------------------------

type Surface = "root" | "webhooks" | "push" | "contractor API" | "admin API" | "console" | "case page";

function surfaceOf(path: string): Surface {
  if (path.startsWith("/api/admin/v1")) return "admin API";
  if (path.startsWith("/api/contractor/v1")) return "contractor API";
  if (path === "/admin" || path.startsWith("/admin/")) return "console";
  if (path.startsWith("/cases/") || path.startsWith("/api/v1/cases/")) return "case page";
  if (path.startsWith("/webhooks/")) return "webhooks";
  if (path.startsWith("/intake/open311")) return "push";
  return "root";
}

interface Param {
  name: string;
  base: string;
  numeric: boolean;
}

/** What a plain (non-OpenAPI) route reads, beyond its path. */
interface PlainRoute {
  query?: Record<string, "text" | "number">;
  /** A valid form, as the console's pages post it; `numbers` name the numeric fields. */
  form?: { fields: Record<string, string>; numbers?: string[] };
  /** A valid JSON body. */
  json?: () => unknown;
  /** Its valid request changes state that later probes need (logout): not sent. */
  noBaseRequest?: boolean;
}

let seq = 0;
const stamp = () => new Date().toISOString();
const PLAIN_ROUTES: Record<string, PlainRoute> = {
  "GET /admin/failures": {
    query: {
      target: "text",
      errorClass: "text",
      errorCode: "text",
      state: "text",
      q: "text",
      done: "text",
      error: "text",
      minAgeMinutes: "number",
    },
  },
  "GET /admin/failures/:jobId{[0-9]+}": { query: { done: "text", error: "text" } },
  "GET /admin/quarantine": { query: { done: "text", error: "text" } },
  "GET /admin/targets": { query: { done: "text", error: "text" } },
  "GET /admin/alerts": { query: { done: "text", error: "text" } },
  "POST /admin/alerts/:alertId{[0-9]+}/acknowledge": { form: { fields: {} } },
  "POST /admin/targets/:target/:action{pause|resume}": {
    form: { fields: { reason: "planned maintenance", hours: "1" }, numbers: ["hours"] },
  },
  "GET /admin/cases": { query: { id: "text" } },
  "GET /cases/:id": { query: { lang: "text", token: "text" } },
  "POST /admin/login": { form: { fields: { token: ADMIN_TOKEN } } },
  "POST /admin/logout": { form: { fields: {} }, noBaseRequest: true },
  "POST /admin/failures/replay": {
    form: {
      fields: {
        target: "contractor-east",
        errorClass: "permanent",
        errorCode: "target_rejected",
        state: "dead",
        minAgeMinutes: "5",
        q: "x",
        dryRun: "1",
      },
      numbers: ["minAgeMinutes"],
    },
  },
  "POST /admin/failures/:jobId{[0-9]+}/:action{retry|replay|skip|acknowledge}": {
    form: { fields: { note: "handled by phone", until: "2026-11-24T08:00" } },
  },
  "POST /admin/quarantine/map": { form: { fields: { target: "stara", code: "PROBE_CODE", canonical: "received" } } },
  "POST /webhooks/:target": {
    json: () => ({
      tapahtumat: [
        {
          tapahtuma_id: `probe-${++seq}`,
          tunnus: `ST-${seq}`,
          ulkoinen_viite: `helsinki:probe-${seq}:stara`,
          tila: "TYÖN_ALLA",
          aikaleima: stamp(),
        },
      ],
    }),
  },
  "POST /intake/open311": {
    json: () => [
      {
        service_request_id: `2026-probe-${++seq}`,
        service_code: "171",
        status: "open",
        description: "Kuoppa ajoradalla",
        lat: PLACES.east.lat,
        long: PLACES.east.long,
        requested_datetime: "2026-12-05T09:00:00+02:00",
        updated_datetime: "2026-12-05T09:00:00+02:00",
        extended_attributes: { detailed_status: "RECEIVED" },
      },
    ],
  },
};

// ---- the OpenAPI documents, for the API routes --------------------------------------------------

type Schema = {
  $ref?: string;
  type?: string | string[];
  enum?: unknown[];
  example?: unknown;
  default?: unknown;
  format?: string;
  minimum?: number;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
};
type Operation = {
  parameters?: { name: string; in: string; schema: Schema; example?: unknown }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
};
type Document = { paths: Record<string, Record<string, Operation>>; components?: { schemas?: Record<string, Schema> } };

const documents: { base: string; document: Document }[] = [];
for (const base of ["/api/admin/v1", "/api/contractor/v1"]) {
  documents.push({ base, document: (await (await app.request(`${base}/openapi.json`)).json()) as Document });
}

function operationOf(method: string, path: string): { operation: Operation; document: Document } | null {
  for (const { base, document } of documents) {
    if (!path.startsWith(`${base}/`)) continue;
    const documentPath = path.slice(base.length).replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const operation = document.paths[documentPath]?.[method.toLowerCase()];
    if (operation) return { operation, document };
  }
  return null;
}

function resolve(schema: Schema, document: Document): Schema {
  if (schema.$ref) return resolve(document.components?.schemas?.[schema.$ref.split("/").at(-1) ?? ""] ?? {}, document);
  const branch = (schema.anyOf ?? schema.oneOf)?.find((s) => s.type !== "null");
  return branch ? resolve(branch, document) : schema;
}

const isNumeric = (schema: Schema) => [schema.type].flat().some((t) => t === "integer" || t === "number");

/** A valid value for a schema: every property filled, leaves from examples where the document has them. */
function sample(raw: Schema, document: Document): unknown {
  const schema = resolve(raw, document);
  const types = [schema.type].flat();
  if (schema.properties) {
    return Object.fromEntries(Object.entries(schema.properties).map(([name, s]) => [name, sample(s, document)]));
  }
  if (types.includes("array") && schema.items) return [sample(schema.items, document)];
  if (schema.example !== undefined) return schema.example;
  if (schema.enum) return schema.enum[0];
  if (schema.default !== undefined) return schema.default;
  if (types.includes("boolean")) return true;
  if (isNumeric(schema)) return Math.max(1, schema.minimum ?? 1);
  if (schema.format === "date-time") return "2026-11-20T10:02:00+02:00";
  return "x";
}

// ---- the routes, and the probes for each ---------------------------------------------------------

interface RouteSpec {
  key: string;
  method: string;
  path: string;
  surface: Surface;
  params: Param[];
  query: { name: string; numeric: boolean }[];
  json: (() => unknown) | null;
  form: PlainRoute["form"] | null;
  headers: () => Record<string, string>;
  documented: boolean;
  noBaseRequest: boolean;
}

function pathParams(path: string, operation: Operation | null): Param[] {
  const params: Param[] = [];
  for (const segment of path.split("/")) {
    if (!segment.startsWith(":")) continue;
    const brace = segment.indexOf("{");
    const name = segment.slice(1, brace < 0 ? undefined : brace);
    const pattern = brace < 0 ? null : segment.slice(brace + 1, -1);
    const documented = operation?.parameters?.find((p) => p.in === "path" && p.name === name);
    const numeric = documented ? isNumeric(documented.schema) : /\[0-9\]|\\d/.test(pattern ?? "");
    const alternatives = pattern && /^[A-Za-z|]+$/.test(pattern) ? pattern.split("|") : null;
    const example = documented?.schema.example ?? documented?.example;
    const base =
      example !== undefined
        ? String(example)
        : numeric
          ? "1"
          : (alternatives?.[0] ?? (path.startsWith("/webhooks/") ? "stara" : "probe-id"));
    params.push({ name, base, numeric });
  }
  return params;
}

const routes: RouteSpec[] = [];
const seen = new Set<string>();
for (const route of app.routes) {
  const key = `${route.method} ${route.path}`;
  if (route.method === "ALL" || seen.has(key)) continue;
  seen.add(key);
  const found = operationOf(route.method, route.path);
  const operation = found?.operation ?? null;
  const plain = PLAIN_ROUTES[key] ?? {};
  const documentedBody = operation?.requestBody?.content["application/json"]?.schema;
  const headerParams = operation?.parameters?.filter((p) => p.in === "header") ?? [];
  routes.push({
    key,
    method: route.method,
    path: route.path,
    surface: surfaceOf(route.path),
    params: pathParams(route.path, operation),
    query: operation
      ? (operation.parameters ?? [])
          .filter((p) => p.in === "query")
          .map((p) => ({ name: p.name, numeric: isNumeric(resolve(p.schema, found?.document as Document)) }))
      : Object.entries(plain.query ?? {}).map(([name, kind]) => ({ name, numeric: kind === "number" })),
    json: documentedBody && found ? () => sample(documentedBody, found.document) : (plain.json ?? null),
    form: plain.form ?? null,
    // Header parameters get a valid, fresh value (an Idempotency-Key must not repeat with another body).
    headers: () => Object.fromEntries(headerParams.map((p) => [p.name, `probe-${p.name}-${++seq}`])),
    documented: operation !== null || key in PLAIN_ROUTES,
    noBaseRequest: plain.noBaseRequest ?? false,
  });
}

interface Probe {
  label: string;
  path: string;
  query?: string;
  body?: { text: string; type: string };
  /**
   * Push intake reads a signed case list by the intake's own rules (adapters/open311/parse.ts), as
   * the poll does: NUL is cleaned out of case text, an out-of-range coordinate becomes no
   * coordinate, and a row that is no case is answered in `rejected`; the rest of the push is taken.
   */
  readByIntake?: boolean;
}

/** The route's valid body (its JSON sample, or its form with the console's CSRF token), if it takes one. */
function validBody(route: RouteSpec, csrf: string): Probe["body"] | undefined {
  if (route.json) return { text: JSON.stringify(route.json()), type: "application/json" };
  if (!route.form) return undefined;
  const fields = { ...route.form.fields, ...(route.surface === "console" ? { _csrf: csrf } : {}) };
  return { text: new URLSearchParams(fields).toString(), type: "application/x-www-form-urlencoded" };
}

function urlOf(route: RouteSpec, override?: { name: string; value: string }): string {
  let path = route.path;
  for (const param of route.params) {
    const value = override?.name === param.name ? override.value : param.base;
    path = path.replace(new RegExp(`:${param.name}(\\{[^/]*\\})?`), encodeURIComponent(value));
  }
  return path;
}

/** Each string leaf with NUL appended, each number beyond 2^63, and a key holding NUL. */
function jsonVariants(value: unknown): { label: string; value: unknown; nul: boolean }[] {
  const out: { label: string; value: unknown; nul: boolean }[] = [];
  const walk = (node: unknown, path: (string | number)[]) => {
    const replace = (replacement: unknown) => {
      if (path.length === 0) return replacement;
      const copy = structuredClone(value) as Record<string | number, unknown>;
      let at = copy;
      for (const step of path.slice(0, -1)) at = at[step] as Record<string | number, unknown>;
      at[path.at(-1) as string | number] = replacement;
      return copy;
    };
    const where = path.join(".") || "(body)";
    if (typeof node === "string") out.push({ label: `NUL in ${where}`, value: replace(`${node}${NUL}`), nul: true });
    else if (typeof node === "number") out.push({ label: `${BIG} in ${where}`, value: replace(BIG_NUMBER), nul: false });
    else if (Array.isArray(node)) {
      for (const [i, item] of node.entries()) walk(item, [...path, i]);
    } else if (node && typeof node === "object") for (const [k, v] of Object.entries(node)) walk(v, [...path, k]);
  };
  walk(value, []);
  if (value && typeof value === "object" && !Array.isArray(value))
    out.push({ label: "NUL in a key", value: { ...value, [`probe${NUL}`]: "x" }, nul: true });
  return out;
}

function probesOf(route: RouteSpec, csrf: string): Probe[] {
  const probes: Probe[] = [];
  const path = urlOf(route);
  // Path and query probes carry the route's valid body, so that only the probed part is wrong.
  const withBody = (probe: Probe): Probe => {
    const body = validBody(route, csrf);
    return body ? { ...probe, body } : probe;
  };
  for (const param of route.params) {
    const nul = urlOf(route, { name: param.name, value: `${param.base}${NUL}` });
    probes.push(withBody({ label: `NUL in path :${param.name}`, path: nul }));
    if (param.numeric)
      probes.push(withBody({ label: `${BIG} in path :${param.name}`, path: urlOf(route, { name: param.name, value: BIG }) }));
  }
  for (const q of [...route.query, { name: "probe", numeric: false }]) {
    probes.push(withBody({ label: `NUL in query ${q.name}`, path, query: `${q.name}=a%00` }));
    if (q.numeric) probes.push(withBody({ label: `${BIG} in query ${q.name}`, path, query: `${q.name}=${BIG}` }));
  }
  probes.push(withBody({ label: "NUL in a query parameter's name", path, query: "pro%00be=1" }));

  if (!["POST", "PUT", "PATCH", "DELETE"].includes(route.method)) return probes;
  const readByIntake = route.surface === "push";
  if (route.json) {
    const jsonSample = route.json;
    for (const variant of jsonVariants(jsonSample())) {
      probes.push({
        label: variant.label,
        path,
        body: { text: JSON.stringify(variant.value), type: "application/json" },
        readByIntake,
      });
    }
    const withNul = jsonVariants(jsonSample()).find((v) => v.nul);
    if (withNul) {
      const text = JSON.stringify(withNul.value);
      probes.push({
        label: "a raw NUL byte in the JSON",
        path,
        body: { text: text.replace("\\u0000", NUL), type: "application/json" },
      });
      // An unpaired UTF-16 surrogate: text PostgreSQL refuses too.
      probes.push({
        label: "an unpaired surrogate in the JSON",
        path,
        body: { text: text.replace("\\u0000", "\\ud800"), type: "application/json" },
        readByIntake,
      });
    }
  } else if (route.form) {
    const fields = { ...route.form.fields, ...(route.surface === "console" ? { _csrf: csrf } : {}) };
    const form = (changed: Record<string, string>) => new URLSearchParams({ ...fields, ...changed }).toString();
    for (const [name, value] of Object.entries(fields)) {
      probes.push({
        label: `NUL in form field ${name}`,
        path,
        body: { text: form({ [name]: `${value}${NUL}` }), type: "application/x-www-form-urlencoded" },
      });
    }
    for (const name of route.form.numbers ?? [])
      probes.push({
        label: `${BIG} in form field ${name}`,
        path,
        body: { text: form({ [name]: BIG }), type: "application/x-www-form-urlencoded" },
      });
    probes.push({
      label: "a raw NUL byte in the form",
      path,
      body: { text: `${form({})}&probe=a${NUL}`, type: "application/x-www-form-urlencoded" },
    });
  }
  // What any body-reading route gets, known or not.
  probes.push({
    label: "NUL in an unknown JSON field",
    path,
    body: { text: '{"probe":"a\\u0000"}', type: "application/json" },
    readByIntake,
  });
  probes.push({
    label: "NUL in an unknown form field",
    path,
    body: {
      text: `probe=a%00${route.surface === "console" ? `&_csrf=${encodeURIComponent(csrf)}` : ""}`,
      type: "application/x-www-form-urlencoded",
    },
  });
  return probes;
}

// ---- credentials ---------------------------------------------------------------------------------

const loggedIn = await app.request("/admin/login", {
  method: "POST",
  body: new URLSearchParams({ token: ADMIN_TOKEN }),
  headers: { "content-type": "application/x-www-form-urlencoded" },
});
const cookie = (loggedIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
const csrf = /name="_csrf" value="([^"]+)"/.exec(await (await app.request("/admin", { headers: { cookie } })).text())?.[1] ?? "";

function credentials(route: RouteSpec, body: string | undefined): Record<string, string> {
  switch (route.surface) {
    case "admin API":
      return { authorization: `Bearer ${ADMIN_TOKEN}` };
    case "contractor API":
      return { authorization: `Bearer ${f.keys.east}` };
    case "console":
      return { cookie };
    case "case page":
      return { authorization: `Bearer ${HANDLER_TOKEN}` };
    case "webhooks":
      return body === undefined ? {} : signWebhook([f.staraSecrets[0]], body, `msg_probe_${++seq}`);
    case "push":
      return body === undefined ? {} : signWebhook([pushSecret], body, `msg_probe_${++seq}`);
    default:
      return {};
  }
}

function send(route: RouteSpec, probe: Probe, authenticated: boolean): Promise<Response> {
  const headers: Record<string, string> = { ...route.headers() };
  if (probe.body) headers["content-type"] = probe.body.type;
  if (authenticated) Object.assign(headers, credentials(route, probe.body?.text));
  const url = probe.query ? `${probe.path}?${probe.query}` : probe.path;
  return Promise.resolve(app.request(url, { method: route.method, headers, ...(probe.body ? { body: probe.body.text } : {}) }));
}

async function describeAnswer(response: Response): Promise<string> {
  return `${response.status} ${(await response.clone().text()).slice(0, 200)}`;
}

// ---- the tests -------------------------------------------------------------------------------------

describe("the route list", () => {
  it("holds every surface, and every plain route this test describes still exists", () => {
    const surfaces = new Set(routes.map((r) => r.surface));
    for (const surface of ["root", "webhooks", "push", "contractor API", "admin API", "console", "case page"] as const)
      expect(surfaces, surface).toContain(surface);
    for (const key of Object.keys(PLAIN_ROUTES)) expect(seen, key).toContain(key);
    expect(routes.filter((r) => r.json !== null && r.surface !== "webhooks" && r.surface !== "push").length).toBeGreaterThan(5);
  });
});

describe.each(routes.map((route) => [route.key, route] as const))("%s", (_key, route) => {
  it("answers its valid request without 400 or 5xx (so the probes' 400s are theirs)", async () => {
    if (route.noBaseRequest) return;
    const body = validBody(route, csrf);
    const response = await send(route, { label: "valid", path: urlOf(route), ...(body ? { body } : {}) }, true);
    expect(response.status, await describeAnswer(response)).toBeLessThan(500);
    if (route.documented) expect(response.status, await describeAnswer(response)).not.toBe(400);
  });

  it("answers 400 to NUL and out-of-range numbers, authenticated", async () => {
    for (const probe of probesOf(route, csrf)) {
      const response = await send(route, probe, true);
      const what = `${probe.label}: ${await describeAnswer(response)}`;
      if (probe.readByIntake) {
        expect(response.status, what).toBe(200);
        continue;
      }
      expect(response.status, what).toBe(400);
      if (response.headers.get("content-type")?.includes("application/json")) {
        const body = (await response.json()) as { error?: { code?: string } };
        expect(body.error?.code, what).toBe("invalid_request");
      } else {
        expect(route.surface, `${what}: only the console answers with an HTML page`).toBe("console");
      }
    }
  });

  it("answers 400 or its auth refusal to the same probes without credentials, never 5xx", async () => {
    for (const probe of probesOf(route, csrf)) {
      const response = await send(route, probe, false);
      const what = `${probe.label}: ${await describeAnswer(response)}`;
      if (response.status === 303) {
        // The console sends a visitor without a session to its login page.
        expect(response.headers.get("location"), what).toBe("/admin/login");
        continue;
      }
      expect([400, 401, 403], what).toContain(response.status);
    }
  });
});

describe("beyond the route list", () => {
  it("a contractor's feed cursor carrying out-of-range numbers reads the feed from its start, as any unknown cursor", async () => {
    for (const cursor of [`u${"9".repeat(18)}.${"9".repeat(18)}`, `u1.${"9".repeat(18)}`, `${"9".repeat(15)}.1`]) {
      const response = await app.request(`/api/contractor/v1/work-orders?cursor=${cursor}`, {
        headers: { authorization: `Bearer ${f.keys.east}` },
      });
      expect(response.status, `${cursor}: ${await describeAnswer(response)}`).toBe(200);
    }
  });

  it("a pushed case's NUL characters are cleaned before anything stores them", async () => {
    const [record] = (PLAIN_ROUTES["POST /intake/open311"]?.json?.() ?? [{}]) as [Record<string, unknown>];
    const text = JSON.stringify([{ ...record, description: `Kuoppa${NUL}ajoradalla` }]);
    const response = await app.request("/intake/open311", {
      method: "POST",
      body: text,
      headers: { "content-type": "application/json", ...signWebhook([pushSecret], text, `msg_probe_${++seq}`) },
    });
    expect(response.status, await describeAnswer(response)).toBe(200);
    expect(await response.json()).toMatchObject({ new: 1, rejected: [] });
    const view = await app.request(`/api/admin/v1/cases/${encodeURIComponent(String(record.service_request_id))}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    expect(view.status).toBe(200);
  });

  it("the body scan tells a NUL escape from text that merely looks like one", () => {
    const bytes = (text: string) => new TextEncoder().encode(text);
    expect(bodyHasNul(bytes('{"note":"a\\u0000"}'), { json: true })).toBe(true);
    expect(bodyHasNul(bytes('{"a\\u0000":1}'), { json: true })).toBe(true);
    // An escaped backslash followed by "u0000" is the text \u0000, e.g. in a path someone typed.
    expect(bodyHasNul(bytes('{"note":"C:\\\\u0000"}'), { json: true })).toBe(false);
    expect(bodyHasNul(bytes('{"note":"100%00"}'), { json: true })).toBe(false);
    expect(bodyHasNul(bytes("note=100%2500"), { form: true })).toBe(false);
    expect(bodyHasNul(bytes("note=a%00"), { form: true })).toBe(true);
    expect(bodyHasNul(bytes(`raw${NUL}`))).toBe(true);
    // Unpaired surrogates, which PostgreSQL refuses as well; a pair is a character.
    expect(bodyHasNul(bytes('{"note":"a\\ud800"}'), { json: true })).toBe(true);
    expect(bodyHasNul(bytes('{"note":"a\\udc00b"}'), { json: true })).toBe(true);
    expect(bodyHasNul(bytes('{"note":"a\\ud800\\u0041"}'), { json: true })).toBe(true);
    expect(bodyHasNul(bytes('{"note":"\\ud83d\\ude00 ok"}'), { json: true })).toBe(false);
    expect(bodyHasNul(bytes(JSON.stringify({ note: "😀 ä \\ud800" })), { json: true })).toBe(false);
  });

  it("headers cannot carry NUL: the Fetch API refuses to build one (Node's HTTP parser refuses it on the wire)", () => {
    expect(() => new Headers({ "idempotency-key": `a${NUL}` })).toThrow();
    expect(() => new Headers({ authorization: `Bearer a${NUL}` })).toThrow();
  });
});
