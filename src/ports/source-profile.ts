/**
 * What differs between Open311 servers, as data: a source profile. GeoReport v2 leaves paging,
 * row caps, write-back and the meaning of `closed` to each server, and Silta once lost cases by
 * assuming Helsinki's answers of every server. Nothing here is assumed in code: the profile names
 * it, `parseConfig` validates it at start, and the settings below override any of it.
 *
 * Pure: no `node:` imports.
 */

/**
 * How list answers are paged. `auto`: follow whatever paging signals the server sends (Link
 * rel=next, X-Next-Page-URL, page and total counts); `page`: also ask `page`/`page_size` and page
 * on while pages come back full, for a server that pages without saying so; `none`: never page.
 */
export type PagingStyle = "auto" | "page" | "none";

/**
 * The authoritative intake: where Silta sees every case, published or not. Helsinki publishes
 * under 10 % of its cases, and its public list shows only those. `push`: the city's signed push
 * (`POST /intake/open311`); `keyed_list`: list reads that carry the API key and include
 * unpublished cases; `public_list`: the public list alone, which cannot see unpublished cases
 * (said at start and in the coverage report).
 */
export type IntakeSource = "push" | "keyed_list" | "public_list";

export interface SourceProfile {
  name: "helsinki" | "generic";
  paging: PagingStyle;
  /** `page_size` to ask for; null: the server's default. */
  pageSize: number | null;
  /** Rows at which an unpaged answer may be cut; null: learnt from the server (see poll-windows.ts). */
  listCap: number | null;
  /** `probe`: ask `servicerequestupdates.json` at start and write back only if it exists. */
  writeBack: "probe" | "on" | "off";
  /** Helsinki: `closed` means the desk forwarded the case (field work may be open); elsewhere: resolved. */
  closedMeans: "forwarded" | "resolved";
  /** Where the desk and public-works states are: Helsinki's `extended_attributes.detailed_status`, or nowhere. */
  detailedStatus: "extended_attributes" | "none";
  /** Whether `updated_datetime` moves on every change. If not, polls miss changes and the re-read runs hourly. */
  updatedTimeMoves: boolean;
  /** Longest `updated_after`…`updated_before` span of one list call. */
  maxWindowDays: number;
}

export const SOURCE_PROFILES = {
  helsinki: {
    name: "helsinki",
    paging: "auto",
    pageSize: null,
    listCap: 200,
    writeBack: "probe",
    closedMeans: "forwarded",
    detailedStatus: "extended_attributes",
    updatedTimeMoves: true,
    maxWindowDays: 90,
  },
  generic: {
    name: "generic",
    paging: "auto",
    pageSize: null,
    listCap: null,
    writeBack: "probe",
    closedMeans: "resolved",
    detailedStatus: "none",
    updatedTimeMoves: true,
    maxWindowDays: 90,
  },
} as const satisfies Record<SourceProfile["name"], SourceProfile>;

export type SourceProfileName = keyof typeof SOURCE_PROFILES;
