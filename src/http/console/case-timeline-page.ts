import { html } from "hono/html";
import type { CaseView } from "../../domain/admin/case-view.ts";
import { consolePage, helsinkiTime } from "./layout.ts";

/** An admin's view of one case: its links and every ledger entry in both directions (ids, codes, hashes). */
export function renderCaseTimelinePage(view: CaseView, csrf: string) {
  return consolePage(
    `Case ${view.serviceRequestId}`,
    csrf,
    html`<p>Service code ${view.serviceCode} · case status ${view.caseStatus} · ${view.disposition}${view.dispositionReason ? ` (${view.dispositionReason})` : ""} · last synced ${view.lastSyncedAt ?? "never"}</p>
<table id="links"><thead><tr><th>Target</th><th>Reference</th><th>Work order</th><th>Delivery</th><th>Field status</th><th>Written back</th><th>SLA</th><th>Parked</th></tr></thead><tbody>
${view.workOrders.map(
  (
    w,
  ) => html`<tr><td>${w.target}</td><td>${w.externalRef}</td><td>${w.workOrderId ?? "–"}</td><td>${w.delivery}</td><td>${w.fieldStatus} ${w.fieldStatusCode ? html`<small>(${w.fieldStatusCode})</small>` : ""}<br><small>${w.fieldStatusAt ?? ""}</small></td>
<td>${w.writtenBack ?? "–"}<br><small>${w.writtenBackAt ?? ""}</small></td><td>${w.sla.state}<br><small>due ${w.sla.dueAt ?? "–"}</small></td><td>${w.parkedReason ?? ""}</td></tr>`,
)}</tbody></table>
<h2>Ledger</h2>
<table id="timeline"><thead><tr><th>At</th><th>Direction</th><th>Operation</th><th>Target</th><th>Outcome</th><th>Code</th><th>HTTP</th><th>Attempt</th><th>ms</th><th>Key</th><th>Payload hash</th><th>Detail</th></tr></thead><tbody>
${view.timeline.map(
  (e) =>
    html`<tr><td>${helsinkiTime(e.at)}</td><td>${e.direction}</td><td>${e.operation}</td><td>${e.target ?? ""}</td><td>${e.outcome}</td><td>${e.errorCode ?? ""}</td><td>${e.httpStatus ?? ""}</td><td>${e.attempt ?? ""}</td><td>${e.latencyMs ?? ""}</td><td><small>${e.idempotencyKey ?? ""}</small></td><td><small>${e.payloadHash?.slice(0, 12) ?? ""}</small></td><td>${e.detail ?? ""}</td></tr>`,
)}</tbody></table>
<p><a href="/admin/failures?q=${encodeURIComponent(view.serviceRequestId)}">Failures of this case</a></p>`,
  );
}
