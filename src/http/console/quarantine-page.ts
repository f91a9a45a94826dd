import { html } from "hono/html";
import type { QuarantinedCode } from "../../domain/admin/quarantine.ts";
import { MAPPABLE_STATUSES } from "../../domain/admin/quarantine.ts";
import type { QuarantinedRecord } from "../../domain/intake/intake-quarantine.ts";
import { consolePage, csrfField, helsinkiTime } from "./layout.ts";

/** Quarantined status codes, each with a form to map it and re-drive the events it holds. */
export function renderQuarantinePage(
  codes: QuarantinedCode[],
  records: QuarantinedRecord[],
  csrf: string,
  flash: { text: string; error?: boolean } | null,
) {
  return consolePage(
    "Quarantine",
    csrf,
    html`<h2>Records from the case system</h2>
<p>Rows Silta could not take in, each with its reason; the rest of intake goes on. Fix the record at the source: the next
poll or re-read takes it in and releases it here.</p>
${records.length === 0 ? html`<p id="no-quarantined-records">No record is held.</p>` : ""}
<table id="quarantined-records"><thead><tr><th>Case</th><th>Reason</th><th>Seen</th><th>First / last</th></tr></thead><tbody>
${records.map(
  (r) =>
    html`<tr><td>${r.serviceRequestId ?? html`<em>no id</em> (${r.key})`}</td><td>${r.reason}</td><td>${r.timesSeen}</td><td>${helsinkiTime(r.firstSeenAt)}<br>${helsinkiTime(r.lastSeenAt)}</td></tr>`,
)}</tbody></table>
<h2>Status codes</h2>
${codes.length === 0 ? html`<p id="no-quarantine">No status code is held.</p>` : ""}
<table id="quarantine"><thead><tr><th>Target</th><th>Code</th><th>Held events</th><th>First / last</th><th>Map to</th></tr></thead><tbody>
${codes.map(
  (
    q,
  ) => html`<tr><td>${q.target}</td><td>${q.code}</td><td>${q.events}</td><td>${helsinkiTime(q.firstReceivedAt)}<br>${helsinkiTime(q.lastReceivedAt)}</td>
<td><form method="post" action="/admin/quarantine/map">${csrfField(csrf)}<input type="hidden" name="target" value="${q.target}"><input type="hidden" name="code" value="${q.code}">
<select name="canonical">${MAPPABLE_STATUSES.map((s) => html`<option value="${s}" ${s === q.override ? "selected" : ""}>${s}</option>`)}</select>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Map and re-drive</button></form></td></tr>`,
)}</tbody></table>`,
    flash,
  );
}
