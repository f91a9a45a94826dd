import { html } from "hono/html";
import type { AuditRow } from "../../domain/admin/audit.ts";
import { consolePage, helsinkiTime } from "./layout.ts";

/** The newest audit rows: who did what to which subject, and how it went. */
export function renderAuditPage(rows: AuditRow[], csrf: string) {
  return consolePage(
    "Audit log",
    csrf,
    html`<table id="audit"><thead><tr><th>At</th><th>Actor</th><th>Action</th><th>Subject</th><th>Result</th><th>Detail</th></tr></thead><tbody>
${rows.map((r) => html`<tr><td>${helsinkiTime(r.at)}</td><td>${r.actor}</td><td>${r.action}</td><td>${r.subject}</td><td>${r.result}</td><td><small>${JSON.stringify(r.detail)}</small></td></tr>`)}
</tbody></table>`,
  );
}
