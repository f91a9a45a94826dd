import { html } from "hono/html";
import type { QuarantinedCode } from "../../domain/admin/quarantine.ts";
import { MAPPABLE_STATUSES } from "../../domain/admin/quarantine.ts";
import { consolePage, csrfField } from "./layout.ts";

/** Quarantined status codes, each with a form to map it and re-drive the events it holds. */
export function renderQuarantinePage(codes: QuarantinedCode[], csrf: string, flash: { text: string; error?: boolean } | null) {
  return consolePage(
    "Quarantined status codes",
    csrf,
    html`${codes.length === 0 ? html`<p id="no-quarantine">No status code is held.</p>` : ""}
<table id="quarantine"><thead><tr><th>Target</th><th>Code</th><th>Held events</th><th>First / last</th><th>Map to</th></tr></thead><tbody>
${codes.map(
  (q) => html`<tr><td>${q.target}</td><td>${q.code}</td><td>${q.events}</td><td>${q.firstReceivedAt}<br>${q.lastReceivedAt}</td>
<td><form method="post" action="/admin/quarantine/map">${csrfField(csrf)}<input type="hidden" name="target" value="${q.target}"><input type="hidden" name="code" value="${q.code}">
<select name="canonical">${MAPPABLE_STATUSES.map((s) => html`<option value="${s}" ${s === q.override ? "selected" : ""}>${s}</option>`)}</select>
<button type="submit">Map and re-drive</button></form></td></tr>`,
)}</tbody></table>`,
    flash,
  );
}
