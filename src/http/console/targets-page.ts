import { html } from "hono/html";
import type { TargetHealth } from "../../domain/admin/target-health.ts";
import { consolePage, csrfField, formatAge, helsinkiTime } from "./layout.ts";

/** Pause lengths the form offers, in hours; 0: until someone resumes. */
export const PAUSE_HOURS = [1, 4, 24, 72, 0] as const;

const STATE_WORDS: Record<TargetHealth["state"], string> = {
  ok: "✓ working",
  degraded: "⚠ degraded",
  down: "✕ down",
  paused: "⏸ paused",
};

function actions(t: TargetHealth, csrf: string) {
  if (t.pause)
    return html`<form method="post" action="/admin/targets/${t.target}/resume">${csrfField(csrf)}<button type="submit" class="hds-button hds-button--primary hds-button--small">Resume ${t.name}</button></form>`;
  const id = `pause-${t.target}`;
  return html`<form method="post" action="/admin/targets/${t.target}/pause" class="pause">${csrfField(csrf)}
<label for="${id}-reason">Reason</label> <input id="${id}-reason" name="reason" required maxlength="500" placeholder="planned maintenance, call 09 310 …">
<label for="${id}-hours">For</label> <select id="${id}-hours" name="hours">${PAUSE_HOURS.map(
    (h) => html`<option value="${h}">${h === 0 ? "until resumed" : `${h} h`}</option>`,
  )}</select>
<button type="submit" class="hds-button hds-button--primary hds-button--small">Pause ${t.name}</button></form>`;
}

/**
 * Every target with its health and waiting work, and the pause or resume action. A paused
 * target's jobs wait without spending retries; resuming sends them oldest first.
 */
export function renderTargetsPage(targets: TargetHealth[], csrf: string, flash: { text: string; error?: boolean } | null) {
  return consolePage(
    "Targets",
    csrf,
    html`<p>Pause a target for planned maintenance or a contract change: its work orders queue up and wait without spending
retries, and go out oldest first when it resumes (by hand, or at the end time). Every pause and resume is in the audit.</p>
<table id="targets"><thead><tr><th>Target</th><th>State</th><th>Waiting</th><th>Oldest</th><th>Pause</th><th>Action</th></tr></thead><tbody>
${targets.map(
  (t) => html`<tr data-target="${t.target}" data-state="${t.state}"><td>${t.name}<br><small>${t.target}</small></td>
<td><span class="pill ${t.state}">${STATE_WORDS[t.state]}</span>${t.lastError ? html`<br><small>${t.failing} failing: ${t.lastError}</small>` : ""}</td>
<td>${t.waiting}</td><td>${t.waiting > 0 ? formatAge(t.oldestAgeSeconds) : "–"}</td>
<td>${t.pause ? html`${t.pause.reason}<br><small>by ${t.pause.pausedBy}, until ${t.pause.until ? helsinkiTime(t.pause.until) : "resumed"}</small>` : "–"}</td>
<td>${actions(t, csrf)}</td></tr>`,
)}</tbody></table>`,
    flash,
  );
}
