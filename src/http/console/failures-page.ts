import { html } from "hono/html";
import type { FailureFilter, FailureItem, StoppedElsewhere } from "../../domain/admin/failures.ts";
import type { BulkReplayResult } from "../../domain/admin/job-actions.ts";
import type { PayloadPreview } from "../../domain/admin/payload-preview.ts";
import { ERROR_CLASSES } from "../../kernel/errors.ts";
import { consolePage, csrfField, helsinkiTime, selectOption } from "./layout.ts";

type Flash = { text: string; error?: boolean } | null;

/** The filter as hidden fields, so a bulk action acts on exactly what the list showed. */
function filterFields(filter: FailureFilter) {
  return Object.entries(filter)
    .filter(([key, value]) => key !== "limit" && key !== "state" && value !== undefined && value !== "")
    .map(([key, value]) => html`<input type="hidden" name="${key}" value="${String(value)}">`);
}

/** Work orders stopped without a dead job, and what waits in quarantine: the rest of what admins act on. */
function stoppedSection(stopped: StoppedElsewhere) {
  return html`<h2>Stopped without a dead letter</h2>
${
  stopped.parked.length === 0
    ? html`<p id="no-parked">No parked work orders besides the dead letters above.</p>`
    : html`<table id="parked"><thead><tr><th>Case</th><th>Target</th><th>Code</th><th>Reason</th><th>Parked</th></tr></thead><tbody>
${stopped.parked.map(
  (p) =>
    html`<tr data-link="${p.linkId}"><td><a href="/admin/cases/${encodeURIComponent(p.caseId)}">${p.caseId}</a></td><td>${p.target}</td><td>${p.code ?? ""}</td><td>${p.reason ?? ""}</td><td>${helsinkiTime(p.parkedAt)}</td></tr>`,
)}</tbody></table>`
}
<p id="quarantine-counts">In quarantine: ${stopped.quarantinedEvents} field events with unknown status codes, ${stopped.quarantinedRecords} unreadable records from the case system (<a href="/admin/quarantine">Quarantine</a>).</p>`;
}

/** The failures list: filters (target, class, code, age, free text), rows, and bulk replay of the dead ones. */
export function renderFailuresPage(
  filter: FailureFilter,
  items: FailureItem[],
  targets: string[],
  csrf: string,
  flash: Flash,
  stopped: StoppedElsewhere | null = null,
) {
  return consolePage(
    "Failures",
    csrf,
    html`<form method="get" action="/admin/failures" id="failure-filter">
<label>Target <select name="target">${selectOption("", filter.target, "any")}${targets.map((t) => selectOption(t, filter.target))}</select></label>
<label>State <select name="state">${selectOption("", filter.state, "dead and retrying")}${selectOption("dead", filter.state)}${selectOption("retrying", filter.state)}${selectOption("skipped", filter.state)}</select></label>
<label>Class <select name="errorClass">${selectOption("", filter.errorClass, "any")}${ERROR_CLASSES.map((c) => selectOption(c, filter.errorClass))}</select></label>
<label>Code <input name="errorCode" value="${filter.errorCode ?? ""}" size="18"></label>
<label>Older than <input name="minAgeMinutes" type="number" min="0" value="${filter.minAgeMinutes ?? ""}" size="6"> min</label>
<label>Search <input name="q" value="${filter.q ?? ""}" placeholder="case id, reference, error text"></label>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Filter</button></form>
<table id="failures"><thead><tr><th>Job</th><th>Case</th><th>Target</th><th>Kind</th><th>State</th><th>Attempts</th><th>Error</th><th>Reason</th><th>Last change</th></tr></thead><tbody>
${items.map(
  (
    f,
  ) => html`<tr data-job="${f.jobId}"><td><a href="/admin/failures/${f.jobId}">#${f.jobId}</a></td><td><a href="/admin/cases/${encodeURIComponent(f.caseId)}">${f.caseId}</a></td>
<td>${f.target}</td><td>${f.kind}</td><td><span class="pill ${f.state}">${f.state}</span>${f.acknowledged?.active ? html` <span class="pill" title="${f.acknowledged.note ?? ""}">acknowledged</span>` : ""}</td>
<td>${f.attempts}</td><td>${f.errorCode ?? ""}${f.errorClass ? html`<br><small>${f.errorClass}</small>` : ""}</td><td>${f.reason ?? ""}</td><td>${helsinkiTime(f.lastChangedAt)}</td></tr>`,
)}
</tbody></table>
${items.length === 0 ? html`<p id="no-failures">No failures match.</p>` : ""}
<form method="post" action="/admin/failures/replay">${csrfField(csrf)}${filterFields(filter)}
<input type="hidden" name="dryRun" value="1"><button type="submit" class="hds-button hds-button--primary hds-button--small">Replay all dead letters matching this filter (dry run first)</button></form>
${stopped ? stoppedSection(stopped) : ""}`,
    flash,
  );
}

/** One failure: reason, attempts, the payload it would send, and the actions that apply to its state. */
export function renderFailureDetailPage(failure: FailureItem, payload: PayloadPreview, csrf: string, flash: Flash) {
  const action = (name: string, label: string, extra: unknown = "") =>
    html`<form method="post" action="/admin/failures/${failure.jobId}/${name}" class="inline">${csrfField(csrf)}${extra}<button type="submit" class="hds-button hds-button--secondary hds-button--small" name="action" value="${name}">${label}</button></form>`;
  const dead = failure.state === "dead" || failure.state === "skipped";
  return consolePage(
    `Job #${failure.jobId}`,
    csrf,
    html`<table id="failure"><tbody>
<tr><th>Case</th><td><a href="/admin/cases/${encodeURIComponent(failure.caseId)}">${failure.caseId}</a></td></tr>
<tr><th>Target</th><td>${failure.target}</td></tr><tr><th>Kind</th><td>${failure.kind}</td></tr>
<tr><th>State</th><td><span class="pill ${failure.state}" id="job-state">${failure.state}</span> (link: ${failure.linkState ?? "–"})</td></tr>
<tr><th>Attempts</th><td>${failure.attempts}</td></tr>
<tr><th>Error</th><td>${failure.errorCode ?? "–"} ${failure.errorClass ? html`(${failure.errorClass})` : ""} ${failure.httpStatus ? html`HTTP ${failure.httpStatus}` : ""}</td></tr>
<tr><th>Reason</th><td id="reason">${failure.reason ?? "–"}</td></tr>
<tr><th>External reference</th><td>${failure.externalRef ?? "–"}</td></tr>
<tr><th>Work order</th><td>${failure.workOrderId ?? "–"}</td></tr>
<tr><th>Queued</th><td>${helsinkiTime(failure.createdAt)}</td></tr><tr><th>Next run</th><td>${helsinkiTime(failure.nextRunAt)}</td></tr>
<tr><th>Acknowledged</th><td>${failure.acknowledged ? html`${failure.acknowledged.by}: ${failure.acknowledged.note ?? ""} ${failure.acknowledged.until ? html`(until ${failure.acknowledged.until})` : ""}` : "–"}</td></tr>
</tbody></table>
<h2>Actions</h2>
<p>
${failure.state === "pending" ? action("retry", "Retry now") : ""}
${dead ? action("replay", "Replay") : ""}
${failure.state === "dead" || failure.state === "pending" ? action("skip", "Mark skipped") : ""}
</p>
${
  failure.state === "dead" || (failure.state === "pending" && failure.errorCode)
    ? html`<form method="post" action="/admin/failures/${failure.jobId}/acknowledge">${csrfField(csrf)}<fieldset><legend>Acknowledge</legend>
<label>Note <input name="note" required size="40"></label><label>Until <input name="until" type="datetime-local"></label>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Acknowledge</button></fieldset></form>`
    : ""
}
<h2>What it would send to ${payload.destination}</h2>
${payload.note ? html`<p>${payload.note}</p>` : ""}
<pre id="payload">${payload.body ? JSON.stringify(payload.body, null, 2) : "nothing"}</pre>`,
    flash,
  );
}

/** A bulk replay's dry run (with the confirm button) or its results. */
export function renderBulkReplayPage(result: BulkReplayResult, filter: FailureFilter, csrf: string) {
  return consolePage(
    result.dryRun ? "Replay: dry run" : "Replay: done",
    csrf,
    html`<p id="bulk-summary">${result.dryRun ? `${result.matched} dead letter(s) would be replayed.` : `${result.results.filter((r) => r.ok).length} of ${result.matched} replayed.`}</p>
${
  result.dryRun && result.matched > 0
    ? html`<form method="post" action="/admin/failures/replay">${csrfField(csrf)}${filterFields(filter)}<input type="hidden" name="dryRun" value="0"><button type="submit" class="hds-button hds-button--primary hds-button--small">Replay these ${result.matched}</button></form>`
    : ""
}
<table id="bulk-items"><thead><tr><th>Job</th><th>Case</th><th>Target</th><th>Kind</th><th>Error</th><th>${result.dryRun ? "Would send" : "Result"}</th></tr></thead><tbody>
${result.items.map((item) => {
  const outcome = result.results.find((r) => r.subject === `job:${item.jobId}`);
  return html`<tr><td><a href="/admin/failures/${item.jobId}">#${item.jobId}</a></td><td>${item.caseId}</td><td>${item.target}</td><td>${item.kind}</td><td>${item.errorCode ?? ""}</td>
<td>${result.dryRun ? html`<pre>${item.payload?.body ? JSON.stringify(item.payload.body, null, 2) : (item.payload?.note ?? "")}</pre>` : (outcome?.result ?? "")}</td></tr>`;
})}
</tbody></table><p><a href="/admin/failures">Back to failures</a></p>`,
  );
}
