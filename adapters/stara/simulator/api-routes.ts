import type { Context } from "hono";
import { Hono } from "hono";
import { bodyLimit } from "hono/body-limit";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { StaraEngine } from "./engine.ts";
import { hostileExtraFields } from "./hostile.ts";
import { cancelRequestSchema, createRequestSchema, issueSummary } from "./requests.ts";

/** Stara's error body, as every `/api/v1` error answers. */
export function staraError(
  c: Context,
  status: ContentfulStatusCode,
  koodi: string,
  viesti: string,
  headers?: Record<string, string>,
) {
  return c.json({ virhe: { koodi, viesti } }, status, headers);
}

const MAX_PAGE = 500;
const DEFAULT_PAGE = 100;

/**
 * Stara's REST API (`openapi.yaml`), mounted at `/api/v1`. Faults are injected before the
 * request has any effect (latency, outage, 429, 503), except `commitThenErrorRate` and
 * `malformedResponseRate`, which answer badly after the effect: the ambiguous failures.
 */
export function staraApiRoutes(engine: StaraEngine): Hono {
  const { knobs, faultRng, requests } = engine;
  const api = new Hono();

  api.use("*", async (c, next) => {
    requests.total += 1;
    await engine.timers.sleep(knobs.latencyMs);
    const retryAfter = { "Retry-After": String(knobs.retryAfterSeconds) };
    if (knobs.outage) {
      requests.outage += 1;
      return staraError(c, 503, "palvelu_ei_kaytettavissa", "Palvelu ei ole käytettävissä.", retryAfter);
    }
    if (faultRng.chance(knobs.rateLimitRate)) {
      requests.injected429 += 1;
      return staraError(c, 429, "liikaa_pyyntoja", "Liikaa pyyntöjä, yritä myöhemmin uudelleen.", retryAfter);
    }
    if (faultRng.chance(knobs.errorRate)) {
      requests.injected503 += 1;
      return staraError(c, 503, "palvelu_ei_kaytettavissa", "Palvelu on tilapäisesti poissa käytöstä.");
    }
    if (c.req.header("authorization") !== `Bearer ${engine.token}`) {
      requests.unauthorized += 1;
      return staraError(c, 401, "tunnistus_epaonnistui", "Puuttuva tai virheellinen tunniste.", {
        "WWW-Authenticate": 'Bearer realm="stara"',
      });
    }
    await next();
    if (knobs.hostile && c.res.ok && c.res.headers.get("content-type")?.includes("json")) {
      // Unknown fields at the top of every JSON answer (and in each listed order).
      const body = (await c.res.json()) as Record<string, unknown>;
      const extra = hostileExtraFields(requests.total);
      if (Array.isArray(body.tyotilaukset)) body.tyotilaukset = body.tyotilaukset.map((o: object) => ({ ...o, ...extra }));
      c.res = Response.json({ ...body, ...extra }, { status: c.res.status, headers: c.res.headers });
    }
    const breakThis = knobs.malformedNext > 0;
    if (breakThis) knobs.malformedNext -= 1;
    if (breakThis || faultRng.chance(knobs.malformedResponseRate)) {
      requests.malformed += 1;
      c.res = new Response('{"tunnus": "ST-', { status: 200, headers: { "content-type": "application/json" } });
    }
  });

  api.use(
    "*",
    bodyLimit({
      maxSize: 256 * 1024,
      onError: (c) => staraError(c, 413, "pyynto_liian_suuri", "Pyyntö on liian suuri."),
    }),
  );

  api.post("/tyotilaukset", async (c) => {
    requests.create += 1;
    const body = await readJson(c);
    if (body === undefined) return staraError(c, 400, "pyynto_virheellinen", "Runko ei ole JSON-muotoa.");
    const parsed = createRequestSchema.safeParse(body);
    if (!parsed.success) return staraError(c, 422, "kentta_kelpaamaton", issueSummary(parsed.error));
    if (knobs.refusedServiceCodes.includes(parsed.data.palvelukoodi)) {
      return staraError(c, 422, "palvelukoodi_ei_sopimuksessa", "Palvelukoodi ei kuulu Staran sopimukseen.");
    }
    const key = c.req.header("idempotency-key") ?? null;
    if (key !== null && (key.length === 0 || key.length > 200)) {
      return staraError(c, 400, "pyynto_virheellinen", "Idempotency-Key on 1–200 merkkiä.");
    }
    const outcome = engine.createOrder(parsed.data, key);
    if (outcome.kind === "key_conflict") {
      return staraError(c, 409, "idempotenssiavain_ristiriita", "Idempotency-Key on jo käytetty toiselle työtilaukselle.");
    }
    if (faultRng.chance(knobs.commitThenErrorRate)) {
      requests.commitThenError += 1;
      return staraError(c, 503, "palvelu_ei_kaytettavissa", "Palvelu on tilapäisesti poissa käytöstä.");
    }
    if (outcome.kind === "existing") return c.json(outcome.order, 200);
    return c.json(outcome.order, 201, { Location: `/api/v1/tyotilaukset/${encodeURIComponent(outcome.order.tunnus)}` });
  });

  api.get("/tyotilaukset", (c) => {
    requests.lookup += 1;
    const ref = c.req.query("ulkoinen_viite");
    if (!ref) return staraError(c, 400, "pyynto_virheellinen", "Parametri ulkoinen_viite puuttuu.");
    return c.json({ tyotilaukset: engine.store.findByExternalRef(ref).map((stored) => stored.order) }, 200);
  });

  api.get("/tyotilausluettelo", (c) => {
    requests.lookup += 1;
    const after = c.req.query("jalkeen") ?? null;
    const limitText = c.req.query("raja") ?? String(DEFAULT_PAGE);
    const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE)) return staraError(c, 400, "pyynto_virheellinen", `raja on 1–${MAX_PAGE}.`);
    if (after !== null && (after.length === 0 || after.length > 100)) {
      return staraError(c, 400, "pyynto_virheellinen", "Kursori jalkeen ei kelpaa.");
    }
    // Ids grow with creation (ST-<year>-<sequence>), so "after this id" survives a removed order.
    const page = engine.store
      .all()
      .filter((order) => after === null || order.tunnus > after)
      .slice(0, limit + 1);
    const more = page.length > limit;
    const items = page.slice(0, limit);
    const last = items.at(-1);
    return c.json({ tyotilaukset: items, seuraava: more && last ? last.tunnus : null }, 200);
  });

  api.get("/tyotilaukset/:tunnus", (c) => {
    requests.get += 1;
    const stored = engine.store.get(c.req.param("tunnus"));
    if (!stored) return staraError(c, 404, "tyotilausta_ei_loydy", "Työtilausta ei löydy.");
    return c.json(stored.order, 200);
  });

  api.post("/tyotilaukset/:tunnus/peruutus", async (c) => {
    requests.cancel += 1;
    const body = await readJson(c);
    if (body === undefined) return staraError(c, 400, "pyynto_virheellinen", "Runko ei ole JSON-muotoa.");
    const parsed = cancelRequestSchema.safeParse(body);
    if (!parsed.success) return staraError(c, 422, "kentta_kelpaamaton", issueSummary(parsed.error));
    const outcome = engine.cancelOrder(c.req.param("tunnus"), parsed.data.syy);
    switch (outcome.kind) {
      case "not_found":
        return staraError(c, 404, "tyotilausta_ei_loydy", "Työtilausta ei löydy.");
      case "finished":
        return staraError(c, 409, "tyotilaus_paattynyt", `Työtilaus on jo päättynyt (${outcome.order.tila}).`);
      default:
        return c.json(outcome.order, 200);
    }
  });

  api.get("/muutokset", (c) => {
    requests.changes += 1;
    const after = c.req.query("jalkeen") ?? "0";
    const limitText = c.req.query("raja") ?? String(DEFAULT_PAGE);
    if (!/^\d{1,15}$/.test(after)) return staraError(c, 400, "pyynto_virheellinen", "Kursori jalkeen ei kelpaa.");
    const limit = /^\d{1,3}$/.test(limitText) ? Number(limitText) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_PAGE)) return staraError(c, 400, "pyynto_virheellinen", `raja on 1–${MAX_PAGE}.`);
    const page = engine.store.changesAfter(Number(after), limit);
    return c.json({ muutokset: page.changes, seuraava: String(page.last), lisaa: page.more }, 200);
  });

  return api;
}

/** The parsed JSON body, or undefined when it is not JSON. */
async function readJson(c: Context): Promise<unknown> {
  try {
    return await c.req.json();
  } catch {
    return undefined;
  }
}
