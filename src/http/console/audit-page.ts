import { html } from "hono/html";
import type { AuditRow } from "../../domain/admin/audit.ts";
import { consolePage, helsinkiTime } from "./layout.ts";

export interface AuditPageFilter {
  actor?: string | undefined;
  action?: string | undefined;
  subject?: string | undefined;
}

/**
 * The audit log, newest first, a page at a time: who did what to which subject, and how it went.
 * Filters by actor, action (prefix: `job.` for every job action) and subject; "Older entries"
 * continues below the last row shown.
 */
export function renderAuditPage(rows: AuditRow[], csrf: string, page: { filter: AuditPageFilter; more: boolean }) {
  const { filter } = page;
  const query = (extra: Record<string, string>) =>
    new URLSearchParams({
      ...Object.fromEntries(Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1]))),
      ...extra,
    }).toString();
  const last = rows.at(-1);
  return consolePage(
    "Audit log",
    csrf,
    html`<form method="get" action="/admin/audit" id="audit-filter">
<label>Actor <input name="actor" value="${filter.actor ?? ""}" placeholder="admin:…"></label>
<label>Action <input name="action" value="${filter.action ?? ""}" placeholder="job."></label>
<label>Subject <input name="subject" value="${filter.subject ?? ""}" placeholder="job:12"></label>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Filter</button> <a href="/admin/audit">All</a></form>
<table id="audit"><thead><tr><th>At</th><th>Actor</th><th>Action</th><th>Subject</th><th>Result</th><th>Detail</th></tr></thead><tbody>
${rows.map((r) => html`<tr data-id="${r.id}"><td>${helsinkiTime(r.at)}</td><td>${r.actor}</td><td>${r.action}</td><td>${r.subject}</td><td>${r.result}</td><td><small>${JSON.stringify(r.detail)}</small></td></tr>`)}
</tbody></table>
${rows.length === 0 ? html`<p>No entries.</p>` : ""}
${page.more && last ? html`<p><a id="older" href="/admin/audit?${query({ before: String(last.id) })}">Older entries</a></p>` : ""}`,
  );
}
