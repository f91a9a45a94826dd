import { html, raw } from "hono/html";
import type { CaseView } from "../../domain/admin/case-view.ts";
import { FINISHED_STATUSES } from "../../domain/admin/sla.ts";
import type { PhotoView } from "../../domain/photos/review-photo.ts";
import { accessibilityLink } from "../accessibility-statement.ts";
import { STYLESHEET_LINK } from "../assets/stylesheet.ts";
import { LANGS, LANGUAGE_NAMES, type Lang, LOCALES, labelsFor } from "./case-labels.ts";

/** What the page says after a handler's action (`?notice=`). */
export type CasePageNotice =
  | "opened"
  | "nothing_finished"
  | "linked"
  | "unlinked"
  | "refused"
  | "photo_approved"
  | "photo_rejected"
  | "photo_unchanged";

export const CASE_PAGE_NOTICES: ReadonlySet<string> = new Set([
  "opened",
  "nothing_finished",
  "linked",
  "unlinked",
  "refused",
  "photo_approved",
  "photo_rejected",
  "photo_unchanged",
]);

const NOTICE_TEXT = {
  opened: ["success", "✓", "reworkOpened"],
  nothing_finished: ["alert", "ⓘ", "reworkNothing"],
  linked: ["success", "✓", "duplicateLinked"],
  unlinked: ["success", "✓", "duplicateUnlinked"],
  refused: ["error", "✕", "duplicateRefused"],
  photo_approved: ["success", "✓", "photoApproved"],
  photo_rejected: ["success", "✓", "photoRejected"],
  photo_unchanged: ["alert", "ⓘ", "photoUnchanged"],
} as const;

function noticeBox(notice: CasePageNotice, l: ReturnType<typeof labelsFor>) {
  const [kind, icon, key] = NOTICE_TEXT[notice];
  return html`<div class="hds-notification hds-notification--${kind}" role="status" id="notice"><div class="hds-notification__content"><div class="hds-notification__body">${icon} ${l.t(key)}</div></div></div>`;
}

/**
 * The field's photos: each shown to the handler with what it is and where it stands, and for a
 * photo waiting for review the two decisions. Only an approved photo is published to the case.
 */
function photoSection(view: CaseView, photos: readonly PhotoView[], lang: Lang, query: (next: Lang) => string) {
  const l = labelsFor(lang);
  const base = `/cases/${encodeURIComponent(view.serviceRequestId)}/photos`;
  return html`<h2 id="photos-title">${l.t("photos")}</h2>
<ul class="photos" aria-labelledby="photos-title">${photos.map(
    (p) => html`<li data-photo="${p.id}" data-state="${p.state}"><figure>
<img src="${base}/${p.id}${query(lang)}" alt="${l.photoAlt(p.kind, view.serviceRequestId)}" width="240" loading="lazy">
<figcaption>${l.photoKind(p.kind)} · ${time(p.receivedAt, lang, "")} · <strong>${l.photoState(p.state)}</strong>${p.writtenBackAt ? html` · ${l.t("photoPublished")}` : ""}</figcaption></figure>
${
  p.state === "pending"
    ? html`<form method="post" action="${base}/${p.id}/approve${query(lang)}" class="inline"><button type="submit" class="hds-button hds-button--primary hds-button--small">${l.t("photoApprove")}</button></form>
<form method="post" action="${base}/${p.id}/reject${query(lang)}" class="inline"><button type="submit" class="hds-button hds-button--secondary hds-button--small">${l.t("photoReject")}</button></form>`
    : ""
}</li>`,
  )}</ul><p><small>${l.t("photoHelp")}</small></p>`;
}

/** A short fingerprint of what the handler sees; the page reloads itself when the JSON twin's differs. */
export function caseVersion(view: CaseView): string {
  return `${view.timeline.length}:${view.workOrders.map((w) => `${w.fieldStatus}/${w.delivery}/${w.writtenBack ?? ""}`).join(",")}`;
}

function time(iso: string | null, lang: Lang, never: string): string {
  if (!iso) return never;
  return new Date(iso).toLocaleString(LOCALES[lang], { timeZone: "Europe/Helsinki", dateStyle: "short", timeStyle: "short" });
}

/** Page-specific touches on the shared stylesheet (HDS): status colours always beside words. */
const STYLE = `body{max-width:72rem}main{padding:var(--spacing-s)}.status{font-weight:700}
.sla-overdue,.sla-missed,.sla-due_soon,.phase-parked,.phase-retrying{color:var(--color-error)}.sla-met,.sla-on_track{color:var(--color-success)}
.next{max-width:28rem}.photos{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:var(--spacing-s)}
.photos img{max-width:100%;height:auto;border:1px solid var(--color-black-20)}.photos figure{margin:0 0 var(--spacing-2-xs)}`;

function languageNav(languageLink: (next: Lang) => string) {
  return html`<nav class="lang-nav" aria-label="Kieli · Språk · Language">${LANGS.map((next, i) => html`${i > 0 ? " · " : ""}<a href="${languageLink(next)}" lang="${next}">${LANGUAGE_NAMES[next]}</a>`)}</nav>`;
}

/**
 * The page a handler sees instead of JSON when the token is missing, wrong or expired (401), or
 * the case is unknown (404): what happened and what to do, in the page's language.
 */
export function renderCaseRefusal(lang: Lang, kind: "missing" | "invalid" | "not_found", languageLink: (next: Lang) => string) {
  const l = labelsFor(lang);
  const text = kind === "missing" ? l.t("tokenMissing") : kind === "invalid" ? l.t("tokenInvalid") : l.t("notFound");
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${l.t("title")}</title>${raw(STYLESHEET_LINK)}<style>${STYLE}</style></head>
<body><main>${languageNav(languageLink)}<h1>${l.t("title")}</h1><p id="refusal" data-kind="${kind}">${text}</p>
${kind === "not_found" ? "" : html`<p>${l.t("tokenHelp")}</p>`}</main>${accessibilityLink(lang)}</body></html>`;
}

/**
 * The handler's field-status page: contractor, delivery (in plain words, with what happens next
 * and who acts), field status, SLA, last sync and every hop with its time, in Finnish, Swedish
 * or English. It polls its JSON twin and reloads when the status changes, so an embedded page
 * stays current without the case system doing anything.
 */
export function renderCasePage(
  view: CaseView,
  lang: Lang,
  options: { token: string | null; nonce: string; notice?: CasePageNotice; photos?: readonly PhotoView[] },
) {
  const l = labelsFor(lang);
  const query = (next: Lang) => `?lang=${next}${options.token ? `&token=${encodeURIComponent(options.token)}` : ""}`;
  const jsonUrl = `/api/v1/cases/${encodeURIComponent(view.serviceRequestId)}${options.token ? `?token=${encodeURIComponent(options.token)}` : ""}`;
  const partyName = (id: string | null, name: string | null) => (id === "case-system" ? l.t("caseSystem") : (name ?? id ?? ""));
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${l.t("title")} – ${view.serviceRequestId}</title>${raw(STYLESHEET_LINK)}<style>${STYLE}</style></head>
<body data-version="${caseVersion(view)}" data-json="${jsonUrl}"><main>
${languageNav(query)}
<h1>${l.t("title")}</h1>
<p>${l.t("case")} <strong id="case-id">${view.serviceRequestId}</strong> · ${l.t("service")}: <span id="service">${view.serviceName ? `${view.serviceName} (${view.serviceCode})` : view.serviceCode}</span>
${view.disposition === "excluded" ? html` · ${l.t("excluded")}: <span id="exclusion">${l.exclusion(view.dispositionReason)}</span>` : ""}</p>
<p>${l.t("lastSynced")}: <span id="last-synced">${time(view.lastSyncedAt, lang, l.t("never"))}</span></p>
${options.notice ? noticeBox(options.notice, l) : ""}
${
  view.duplicateOf
    ? html`<div class="hds-notification hds-notification--info" id="duplicate-of"><div class="hds-notification__content"><div class="hds-notification__body">
ⓘ ${l.t("duplicateOf")} <a href="/cases/${encodeURIComponent(view.duplicateOf)}${query(lang)}">${view.duplicateOf}</a>. ${l.t("duplicateShares")}
<form method="post" action="/cases/${encodeURIComponent(view.serviceRequestId)}/duplicate${query(lang)}"><input type="hidden" name="unlink" value="1"><button type="submit" class="hds-button hds-button--secondary hds-button--small">${l.t("duplicateUnlink")}</button></form>
</div></div></div>`
    : ""
}
${
  view.workOrders.length === 0
    ? html`<p>${l.t("noWorkOrders")}</p>`
    : html`<div class="table-wrap" role="region" aria-labelledby="work-orders-caption" tabindex="0"><table id="work-orders"><caption id="work-orders-caption">${l.t("workOrders")}</caption><thead><tr><th>${l.t("contractor")}</th><th>${l.t("delivery")}</th><th>${l.t("fieldStatus")}</th><th>${l.t("sla")}</th><th>${l.t("writtenBack")}</th><th>${l.t("next")}</th></tr></thead><tbody>
${view.workOrders.map((w) => {
  const phase = l.phase(w.phase, {
    contractor: w.targetName ?? w.target,
    next: w.reroutedTo ?? "–",
    problem: w.problem ? l.error(w.problem) : "–",
    at: time(w.nextAttemptAt, lang, ""),
  });
  return html`<tr data-target="${w.target}" data-phase="${w.phase}"><td>${w.targetName ?? w.target}${w.round > 1 ? html`<br><small>${l.t("round")} ${w.round}</small>` : ""}<br><small>${l.t("workOrder")}: ${w.workOrderId ?? "–"}</small></td>
<td class="phase-${w.phase}">${phase.now}</td>
<td class="status" data-status="${w.fieldStatus}">${l.status(w.fieldStatus)}<br><small>${time(w.fieldStatusAt, lang, "")}</small></td>
<td class="sla-${w.sla.state}" data-sla="${w.sla.state}">${l.sla(w.sla.state)}${w.sla.state === "not_applicable" ? "" : html`<br><small>${l.t("due")}: ${time(w.sla.dueAt, lang, "–")}</small>`}</td>
<td>${l.status(w.writtenBack)}<br><small>${time(w.writtenBackAt, lang, "")}</small></td>
<td class="next">${phase.next}</td></tr>`;
})}</tbody></table></div>`
}
${
  view.workOrders.some((w) => FINISHED_STATUSES.includes(w.fieldStatus))
    ? html`<form method="post" action="/cases/${encodeURIComponent(view.serviceRequestId)}/rework${query(lang)}" id="rework">
<p><small>${l.t("reworkHelp")}</small></p><button type="submit" class="hds-button hds-button--secondary hds-button--small">${l.t("reworkButton")}</button></form>`
    : ""
}
${
  view.duplicateOf
    ? ""
    : html`<form method="post" action="/cases/${encodeURIComponent(view.serviceRequestId)}/duplicate${query(lang)}" id="link-duplicate">
<label for="duplicate-parent">${l.t("duplicateParent")}</label> <input id="duplicate-parent" name="parent" required maxlength="200">
<button type="submit" class="hds-button hds-button--secondary hds-button--small">${l.t("duplicateLink")}</button></form>`
}
${options.photos && options.photos.length > 0 ? photoSection(view, options.photos, lang, query) : ""}
<h2 id="timeline-title">${l.t("timeline")}</h2>
<div class="table-wrap" role="region" aria-labelledby="timeline-title" tabindex="0"><table id="timeline"><thead><tr><th>${l.t("at")}</th><th>${l.t("step")}</th><th>${l.t("direction")}</th><th>${l.t("contractor")}</th><th>${l.t("outcome")}</th></tr></thead><tbody>
${view.timeline.map(
  (e) =>
    html`<tr><td>${time(e.at, lang, "")}</td><td>${l.operation(e.operation)}</td><td>${l.direction(e.direction)}</td><td>${partyName(e.target, e.targetName)}</td><td data-outcome="${e.outcome}">${l.outcome(e.outcome)}${e.errorCode ? `: ${l.error(e.errorCode)}` : ""}</td></tr>`,
)}</tbody></table></div>
<p><small>${l.t("autoRefresh")}</small></p></main>${accessibilityLink(lang)}
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
