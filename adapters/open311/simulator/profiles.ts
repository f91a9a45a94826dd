/**
 * Behaviour profiles of the Open311 simulator: Helsinki as seen in 2014–2016 (the default), and a
 * generic GeoReport v2 server modelled on independent implementations such as the 6Aika cities'
 * reference server (design/helsinki-open311.md §4), so that Silta is tested against what other
 * servers do and not only against Helsinki.
 */

/** How list answers are paged (6Aika style: `page`, `page_size`, `X-Result-Count`, …). */
export interface SimulatorPaging {
  /** Rows per page when the call names no `page_size`. */
  pageSize: number;
  /** Largest `page_size` honoured; larger ones are cut to it. Default 500, as 6Aika. */
  maxPageSize?: number;
  /** Row order across pages, by `updated_datetime` (ties by id). */
  order: "newest_first" | "oldest_first";
}

/**
 * What `status: closed` means on the server:
 * - `forwarded`: Helsinki. Closed says the feedback desk is done (answered or handed to field
 *   work); `extended_attributes.detailed_status` and `tasks` tell what happens next.
 * - `resolved`: plain GeoReport v2. Closed says the city resolved the case; there is no
 *   `detailed_status` and no `tasks`.
 */
export type ClosedMeans = "forwarded" | "resolved";

export type SimulatorProfileName = "helsinki" | "generic";

/** The settings a profile fixes; explicit simulator options override them. */
export interface SimulatorProfile {
  /** Rows per unpaged list answer. */
  listCap: number;
  /** Null: no paging, lists are cut at `listCap`. */
  paging: SimulatorPaging | null;
  /** Whether mySociety's `servicerequestupdates.json` extension exists. */
  writeBackEndpoint: boolean;
  closedMeans: ClosedMeans;
}

export const SIMULATOR_PROFILES: Readonly<Record<SimulatorProfileName, Readonly<SimulatorProfile>>> = {
  helsinki: { listCap: 200, paging: null, writeBackEndpoint: true, closedMeans: "forwarded" },
  generic: {
    listCap: 200,
    paging: { pageSize: 100, order: "newest_first" },
    writeBackEndpoint: false,
    closedMeans: "resolved",
  },
};

export const SIMULATOR_PROFILE_NAMES = Object.keys(SIMULATOR_PROFILES) as SimulatorProfileName[];

export function isSimulatorProfileName(value: unknown): value is SimulatorProfileName {
  return typeof value === "string" && Object.hasOwn(SIMULATOR_PROFILES, value);
}

/** Default `maxPageSize`, as the 6Aika reference server. */
export const DEFAULT_MAX_PAGE_SIZE = 500;

/**
 * The page a server without mySociety's extension answers for `servicerequestupdates.json`: a web
 * server's own HTML 404, not a GeoReport error, as a client that assumes JSON meets it.
 */
export const HTML_NOT_FOUND_PAGE = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <meta name="robots" content="noindex, nofollow">
  <title>404 Not Found</title>
  <style>
    html { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
    body { margin: 0; padding: 0; background: #f4f5f7; color: #1f2933; }
    header { background: #0b3d91; color: #ffffff; padding: 1.25rem 2rem; }
    header h1 { margin: 0; font-size: 1.35rem; font-weight: 600; letter-spacing: 0.01em; }
    main { max-width: 42rem; margin: 3rem auto; padding: 2rem 2.5rem; background: #ffffff; border-radius: 6px;
      box-shadow: 0 1px 3px rgba(0, 0, 0, 0.12), 0 1px 2px rgba(0, 0, 0, 0.08); }
    main h2 { margin-top: 0; font-size: 2.25rem; color: #0b3d91; }
    main p { line-height: 1.6; }
    code { background: #eef1f5; padding: 0.1rem 0.35rem; border-radius: 3px; font-size: 0.95em; }
    ul { padding-left: 1.25rem; line-height: 1.7; }
    a { color: #0b5cd5; }
    footer { text-align: center; font-size: 0.8rem; color: #6b7785; margin-bottom: 2rem; }
  </style>
</head>
<body>
  <header><h1>City feedback service</h1></header>
  <main>
    <h2>404 Not Found</h2>
    <p>The page you requested could not be found on this server. It may have been moved or removed,
      or the address may have been typed incorrectly.</p>
    <p>If you are using the Open311 GeoReport v2 interface, please check that the resource name is
      one of the documented endpoints:</p>
    <ul>
      <li><code>discovery.json</code></li>
      <li><code>services.json</code> and <code>services/{service_code}.json</code></li>
      <li><code>requests.json</code> and <code>requests/{service_request_id}.json</code></li>
    </ul>
    <p>Return to the <a href="/">front page</a> or contact the service's administrator if you believe
      this is an error.</p>
  </main>
  <footer>nginx &middot; request could not be routed</footer>
</body>
</html>
`;
