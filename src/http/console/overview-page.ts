import { html } from "hono/html";
import type { FindingItem } from "../../domain/admin/findings.ts";
import type { Overview } from "../../domain/admin/overview.ts";
import type { SourceState } from "../../domain/deps.ts";
import type { IntakeHealth } from "../../domain/intake/intake-health.ts";
import { consolePage, formatAge, helsinkiTime } from "./layout.ts";

/** The console's front page: where things stand, and links into what needs attention. */
export function renderOverviewPage(
  overview: Overview,
  findings: FindingItem[],
  causes: { target: string; errorCode: string; n: number }[],
  csrf: string,
  intake: IntakeHealth & { quarantined: number; source: SourceState | null },
) {
  const pct = (rate: number | null) => (rate === null ? "–" : `${Math.round(rate * 100)} %`);
  return consolePage(
    "Overview",
    csrf,
    html`${intakeSection(intake)}<form method="get" action="/admin/cases"><label for="case-id-jump">Case</label> <input id="case-id-jump" name="id" placeholder="service_request_id"><button type="submit" class="hds-button hds-button--primary hds-button--small">Show timeline</button></form>
<h2>Funnel per contractor</h2>
<table id="funnel"><thead><tr><th>Target</th><th>Sent</th><th>Received</th><th>In progress</th><th>Completed</th><th>SLA hit rate</th><th>Overdue</th></tr></thead><tbody>
${overview.funnel.map((f) => html`<tr><td>${f.target}</td><td>${f.sent}</td><td>${f.received}</td><td>${f.inProgress}</td><td>${f.completed}</td><td>${pct(f.slaHitRate)}</td><td>${f.overdue}</td></tr>`)}
</tbody></table>
<h2>Dead letters</h2>
${
  overview.deadLetters.length === 0
    ? html`<p id="dead-letters">None.</p>`
    : html`<table id="dead-letters"><thead><tr><th>Target</th><th>Dead</th><th>Acknowledged</th><th></th></tr></thead><tbody>
${overview.deadLetters.map((d) => html`<tr><td>${d.target}</td><td>${d.n}</td><td>${d.acknowledged}</td><td><a href="/admin/failures?state=dead&target=${encodeURIComponent(d.target)}">show</a></td></tr>`)}</tbody></table>`
}
${
  causes.length === 0
    ? ""
    : html`<h3>By cause</h3><p>After fixing a credential or a mapping, re-drive what it parked (a dry run comes first).</p>
<table id="dead-letter-causes"><thead><tr><th>Target</th><th>Error code</th><th>Dead</th><th></th></tr></thead><tbody>
${causes.map((g) => html`<tr><td>${g.target}</td><td>${g.errorCode}</td><td>${g.n}</td><td><a href="/admin/failures?state=dead&target=${encodeURIComponent(g.target)}&errorCode=${encodeURIComponent(g.errorCode)}">re-drive…</a></td></tr>`)}</tbody></table>`
}
<h2>Backlog</h2>
<table id="backlog"><thead><tr><th>Target</th><th>Pending jobs</th><th>Oldest</th></tr></thead><tbody>
${overview.backlog.map((b) => html`<tr><td>${b.target}</td><td>${b.pending}</td><td>${formatAge(b.oldestAgeSeconds)}</td></tr>`)}
</tbody></table>
<h2>Quarantined status codes</h2>
${
  overview.quarantinedCodes.length === 0
    ? html`<p>None.</p>`
    : html`<table><thead><tr><th>Target</th><th>Code</th><th>Held events</th></tr></thead><tbody>
${overview.quarantinedCodes.map((q) => html`<tr><td>${q.target}</td><td>${q.code}</td><td>${q.n}</td></tr>`)}</tbody></table><p><a href="/admin/quarantine">Map them</a></p>`
}
<h2>Open reconciliation findings</h2>
${
  findings.length === 0
    ? html`<p>None.</p>`
    : html`<table><thead><tr><th>Kind</th><th>Subject</th><th>Target</th><th>Suggested action</th><th>Last seen</th></tr></thead><tbody>
${findings.map((f) => html`<tr><td>${f.kind}</td><td>${f.caseId ? html`<a href="/admin/cases/${encodeURIComponent(f.caseId)}">${f.subject}</a>` : f.subject}</td><td>${f.target ?? ""}</td><td>${f.suggestedAction}</td><td>${helsinkiTime(f.lastSeenAt)}</td></tr>`)}</tbody></table>`
}
<h2>Jobs by target and state</h2>
<table><thead><tr><th>Target</th><th>Kind</th><th>State</th><th>Count</th></tr></thead><tbody>
${overview.jobs.map((j) => html`<tr><td>${j.target}</td><td>${j.kind}</td><td><span class="pill ${j.state}">${j.state}</span></td><td>${j.n}</td></tr>`)}
</tbody></table>
<h2>Links by target and state</h2>
<table><thead><tr><th>Target</th><th>State</th><th>Count</th></tr></thead><tbody>
${overview.links.map((j) => html`<tr><td>${j.target}</td><td>${j.state}</td><td>${j.n}</td></tr>`)}
</tbody></table>`,
  );
}

/**
 * Intake at a glance: a banner when no poll has succeeded for longer than allowed, then the
 * source's profile, write-back state, last poll, quarantine and the last re-read's coverage.
 */
function intakeSection(intake: IntakeHealth & { quarantined: number; source: SourceState | null }) {
  const coverage = intake.coverage;
  return html`${
    intake.stale
      ? html`<div class="hds-notification hds-notification--error" id="intake-banner" role="alert"><div class="hds-notification__content"><div class="hds-notification__body"><strong>✕ Intake stalled:</strong> no Open311 poll has succeeded
since ${intake.lastSuccessAt ?? "this process started"}.${intake.lastFailureReason ? html` Last failure: ${intake.lastFailureReason}` : ""}</div></div></div>`
      : ""
  }
<h2>Intake</h2>
<table id="intake"><tbody>
<tr><th>Source profile</th><td>${intake.source ? `${intake.source.profile.name}; sees every case through ${intake.source.intake}` : "helsinki"}</td></tr>
<tr><th>Write-back</th><td>${intake.source && !intake.source.writeBack.enabled ? html`<span class="pill dead">off</span> ${intake.source.writeBack.reason}` : "on"}</td></tr>
<tr><th>Last successful poll</th><td>${intake.lastSuccessAt ?? "none yet"}</td></tr>
<tr><th>Last failed poll</th><td>${intake.lastFailureAt ? `${intake.lastFailureAt}: ${intake.lastFailureReason ?? ""}` : "none"}</td></tr>
<tr><th>Records in quarantine</th><td><a href="/admin/quarantine">${intake.quarantined}</a></td></tr>
<tr><th>Last full re-read</th><td>${
    coverage
      ? `${coverage.at}: ${coverage.accountedFor} of ${coverage.sourceCases} cases at the source accounted for; ${coverage.missing} had been missed and ${coverage.repaired} were taken in${coverage.seesUnpublished ? "" : "; unpublished cases are not visible to this intake"}`
      : "none yet"
  }</td></tr>
</tbody></table>`;
}
