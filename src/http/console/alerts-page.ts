import { html } from "hono/html";
import type { AlertView } from "../../domain/alerts/evaluate-alerts.ts";
import { consolePage, csrfField, helsinkiTime } from "./layout.ts";

const LEVEL_WORDS = { critical: "✕ critical", warning: "⚠ warning", info: "ⓘ info" } as const;

/** Open alerts first (with acknowledge), then the week's recovered ones. */
export function renderAlertsPage(items: AlertView[], csrf: string, flash: { text: string; error?: boolean } | null) {
  return consolePage(
    "Alerts",
    csrf,
    html`<p>Raised when a target is down or paused, dead letters pile up, intake stalls, reconciliation finds drift or answers
are late; each goes to the configured e-mail and webhook once when raised and once when it recovers.</p>
${
  items.length === 0
    ? html`<p id="no-alerts">No alerts this week.</p>`
    : html`<table id="alerts"><thead><tr><th>Level</th><th>Alert</th><th>Raised</th><th>State</th><th>Action</th></tr></thead><tbody>
${items.map(
  (
    a,
  ) => html`<tr data-alert="${a.key}" data-state="${a.state}"><td><span class="pill ${a.level === "critical" ? "down" : a.level === "warning" ? "degraded" : ""}">${LEVEL_WORDS[a.level]}</span></td>
<td>${a.message}<br><small>${a.key}${a.notified ? " · notified" : ""}</small></td><td>${helsinkiTime(a.raisedAt)}</td>
<td>${a.state === "open" ? (a.acknowledgedBy ? `open, acknowledged by ${a.acknowledgedBy}` : "open") : html`recovered ${helsinkiTime(a.recoveredAt)}`}</td>
<td>${
    a.state === "open" && !a.acknowledgedBy
      ? html`<form method="post" action="/admin/alerts/${a.id}/acknowledge">${csrfField(csrf)}<button type="submit" class="hds-button hds-button--secondary hds-button--small">Acknowledge</button></form>`
      : ""
  }</td></tr>`,
)}</tbody></table>`
}`,
    flash,
  );
}
