import type { Context } from "hono";
import type { Rng } from "../../../src/lib/prng.ts";
import type { SimKnobs } from "./knobs.ts";
import type { ClosedMeans, SimulatorPaging } from "./profiles.ts";
import type { SimulatorStore } from "./store.ts";

/** What the simulator's routes share: state, knobs, clock and limits. */
export interface SimContext {
  store: SimulatorStore;
  knobs: SimKnobs;
  now(): number;
  /** Stream for ids and generated cases (deterministic from the seed). */
  rng: Rng;
  apiKey: string;
  moderationDelayMs: number;
  /** Rows per list answer (Helsinki: 200). */
  listCap: number;
  /** Longest date span of a list call (Helsinki: 90 days). */
  maxWindowMs: number;
  /** Paged list answers (replacing `listCap`); null: Helsinki, no paging. */
  paging: Required<SimulatorPaging> | null;
  /** Whether `servicerequestupdates.json` exists (mySociety's extension). */
  writeBackEndpoint: boolean;
  /** What `closed` means; `resolved` serves plain GeoReport v2 without `detailed_status` or tasks. */
  closedMeans: ClosedMeans;
}

/** A GeoReport error answer: `[{code, description}]` with the same HTTP status. */
export function georeportError(c: Context, status: 400 | 403 | 404 | 500 | 503, description: string): Response {
  return c.json([{ code: status, description }], status);
}

/** The string fields of a form body (files and repeated fields other than the first are ignored). */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const body = await c.req.parseBody();
  const fields: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === "string") fields[key] = value;
    else if (Array.isArray(value) && typeof value[0] === "string") fields[key] = value[0];
  }
  return fields;
}

/** Splits a comma list parameter, dropping blanks. */
export function commaList(value: string | undefined): string[] {
  if (value === undefined) return [];
  return value
    .split(",")
    .map((part) => part.trim())
    .filter((part) => part !== "");
}

/** Splits `name.json` into the name and its format; null when there is no extension. */
export function splitFormat(file: string): { name: string; format: string } | null {
  const dot = file.lastIndexOf(".");
  if (dot <= 0) return null;
  return { name: file.slice(0, dot), format: file.slice(dot + 1).toLowerCase() };
}

export const JSON_ONLY = "Only JSON is served by this simulator: use the .json form of the resource.";
