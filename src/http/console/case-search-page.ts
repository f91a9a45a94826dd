import { html } from "hono/html";
import { type CaseSearch, type CaseSearchRow, LINK_STATES } from "../../domain/admin/case-search.ts";
import { consolePage, helsinkiTime, selectOption } from "./layout.ts";

/**
 * Case search: by id or address, service code, state (the case's, or a work order's) and target,
 * newest first, a page at a time; each row links to the case's timeline.
 */
export function renderCaseSearchPage(search: CaseSearch, rows: CaseSearchRow[], targets: string[], csrf: string, more: boolean) {
  const params = (extra: Record<string, string>) =>
    new URLSearchParams({
      ...Object.fromEntries(
        Object.entries(search).filter(
          (e): e is [string, string] => typeof e[1] === "string" && e[1] !== "" && e[0] !== "beforeId",
        ),
      ),
      ...extra,
    }).toString();
  const last = rows.at(-1);
  return consolePage(
    "Cases",
    csrf,
    html`<form method="get" action="/admin/cases" id="case-search">
<label>Id or address <input name="q" value="${search.q ?? ""}" placeholder="2026-… or Mannerheimintie"></label>
<label>Service <input name="service" value="${search.service ?? ""}" size="6" placeholder="171"></label>
<label>State <select name="state">${selectOption("", search.state, "any")}${selectOption("routed", search.state)}${selectOption("excluded", search.state)}${LINK_STATES.map((s) => selectOption(s, search.state, `work order ${s}`))}</select></label>
<label>Target <select name="target">${selectOption("", search.target, "any")}${targets.map((t) => selectOption(t, search.target))}</select></label>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Search</button></form>
<table id="cases"><thead><tr><th>Case</th><th>Service</th><th>Address</th><th>Disposition</th><th>Work orders</th><th>Last change</th></tr></thead><tbody>
${rows.map(
  (r) => html`<tr data-case="${r.id}"><td><a href="/admin/cases/${encodeURIComponent(r.id)}">${r.id}</a></td>
<td>${r.serviceCode}${r.serviceName ? html`<br><small>${r.serviceName}</small>` : ""}</td><td>${r.address ?? ""}</td><td>${r.disposition}</td>
<td>${r.workOrders.map((w) => html`<span class="pill ${w.state}">${w.target}: ${w.state}, ${w.fieldStatus}</span> `)}</td><td>${helsinkiTime(r.updatedAt)}</td></tr>`,
)}
</tbody></table>
${rows.length === 0 ? html`<p id="no-cases">No cases match.</p>` : ""}
${more && last ? html`<p><a id="older" href="/admin/cases?${params({ before: last.id })}">More cases</a></p>` : ""}`,
  );
}
