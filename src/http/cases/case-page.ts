import { html } from "hono/html";
import type { CaseView } from "../../domain/admin/case-view.ts";
import { type Lang, labelsFor } from "./case-labels.ts";

/** A short fingerprint of what the handler sees; the page reloads itself when the JSON twin's differs. */
export function caseVersion(view: CaseView): string {
  return `${view.timeline.length}:${view.workOrders.map((w) => `${w.fieldStatus}/${w.delivery}/${w.writtenBack ?? ""}`).join(",")}`;
}

function time(iso: string | null, lang: Lang, never: string): string {
  if (!iso) return never;
  return new Date(iso).toLocaleString(lang === "fi" ? "fi-FI" : "en-GB", { timeZone: "Europe/Helsinki" });
}

/**
 * The handler's field-status page: contractor, current field status, SLA, last sync and every
 * hop with its time, in Finnish or English. It polls its JSON twin and reloads when the status
 * changes, so an embedded page stays current without the case system doing anything.
 */
export function renderCasePage(view: CaseView, lang: Lang, options: { token: string | null; nonce: string }) {
  const l = labelsFor(lang);
  const query = (next: Lang) => `?lang=${next}${options.token ? `&token=${encodeURIComponent(options.token)}` : ""}`;
  const jsonUrl = `/api/v1/cases/${encodeURIComponent(view.serviceRequestId)}${options.token ? `?token=${encodeURIComponent(options.token)}` : ""}`;
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${l.t("title")} – ${view.serviceRequestId}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:1rem;color:#1a1a1a}table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.3rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}.status{font-weight:700}
.sla-overdue,.sla-missed{color:#b00020}.sla-met,.sla-on_track{color:#0a6}nav{float:right}small{color:#555}</style></head>
<body data-version="${caseVersion(view)}" data-json="${jsonUrl}">
<nav><a href="${query("fi")}" lang="fi">suomeksi</a> · <a href="${query("en")}" lang="en">in English</a></nav>
<h1>${l.t("title")}</h1>
<p>${l.t("case")} <strong id="case-id">${view.serviceRequestId}</strong> · ${view.serviceCode}
${view.disposition === "excluded" ? html` · ${l.t("excluded")} (${view.dispositionReason ?? ""})` : ""}</p>
<p>${l.t("lastSynced")}: <span id="last-synced">${time(view.lastSyncedAt, lang, l.t("never"))}</span></p>
${
  view.workOrders.length === 0
    ? html`<p>${l.t("noWorkOrders")}</p>`
    : html`<table id="work-orders"><thead><tr><th>${l.t("contractor")}</th><th>${l.t("workOrder")}</th><th>${l.t("fieldStatus")}</th><th>${l.t("sla")}</th><th>${l.t("writtenBack")}</th><th>${l.t("lastSynced")}</th></tr></thead><tbody>
${view.workOrders.map(
  (w) => html`<tr data-target="${w.target}"><td>${w.targetName ?? w.target}</td><td>${w.workOrderId ?? "–"}</td>
<td class="status" data-status="${w.fieldStatus}">${l.status(w.fieldStatus)}<br><small>${time(w.fieldStatusAt, lang, "")}</small></td>
<td class="sla-${w.sla.state}" data-sla="${w.sla.state}">${l.sla(w.sla.state)}<br><small>${l.t("due")}: ${time(w.sla.dueAt, lang, "–")}</small></td>
<td>${l.status(w.writtenBack)}<br><small>${time(w.writtenBackAt, lang, "")}</small></td>
<td>${time(w.lastSyncedAt, lang, l.t("never"))}</td></tr>`,
)}</tbody></table>`
}
<h2>${l.t("timeline")}</h2>
<table id="timeline"><thead><tr><th>${l.t("at")}</th><th>${l.t("step")}</th><th>${l.t("direction")}</th><th>${l.t("contractor")}</th><th>${l.t("outcome")}</th></tr></thead><tbody>
${view.timeline.map(
  (e) =>
    html`<tr><td>${time(e.at, lang, "")}</td><td>${l.operation(e.operation)}</td><td>${l.direction(e.direction)}</td><td>${e.target ?? ""}</td><td>${e.outcome}${e.errorCode ? ` (${e.errorCode})` : ""}</td></tr>`,
)}</tbody></table>
<p><small>${l.t("autoRefresh")}</small></p>
<script nonce="${options.nonce}">
(() => {
  const url = document.body.dataset.json;
  const current = document.body.dataset.version;
  const check = async () => {
    try {
      const response = await fetch(url, { headers: { accept: "application/json" }, credentials: "same-origin" });
      if (response.ok && (await response.json()).version !== current) { location.reload(); return; }
    } catch {}
    setTimeout(check, 2000);
  };
  setTimeout(check, 2000);
})();
</script>
</body></html>`;
}
