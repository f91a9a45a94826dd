import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import type { TargetHealth } from "../../domain/admin/target-health.ts";
import { accessibilityLink } from "../accessibility-statement.ts";
import { STYLESHEET_LINK } from "../assets/stylesheet.ts";

type Content = HtmlEscapedString | Promise<HtmlEscapedString> | string;

/** Page-specific touches only: the look comes from the shared stylesheet (HDS, assets/stylesheet.ts). */
const STYLE = ".pause input[name=reason]{width:16rem}";

/**
 * Where the health banner goes on every signed-in page: console-app.ts fills it in one place
 * for all pages (withTargetHealth), so that no page can forget it.
 */
export const TARGET_HEALTH_SLOT = "<!--target-health-->";

/** The banner for targets that are down, degraded or paused (nothing when all are well). */
export function renderTargetHealthBanner(health: readonly TargetHealth[]): string {
  const troubled = health.filter((t) => t.state !== "ok");
  if (troubled.length === 0) return "";
  return html`<div class="hds-notification hds-notification--error" id="target-health" role="alert"><div class="hds-notification__content"><div class="hds-notification__body">${troubled.map(
    (t) =>
      t.pause
        ? html`<div data-target="${t.target}" data-state="paused"><strong>⏸ ${t.name}: paused</strong>
 by ${t.pause.pausedBy} until ${t.pause.until ? helsinkiTime(t.pause.until) : "someone resumes it"}: ${t.pause.reason}.
 ${t.waiting} deliveries wait without spending retries; <a href="/admin/targets">resume it on Targets</a>.</div>`
        : html`<div data-target="${t.target}" data-state="${t.state}"><strong>${t.state === "down" ? "✕" : "⚠"} ${t.name}: ${t.state === "down" ? "down" : "degraded"}</strong>
 — ${t.failing} of ${t.waiting} waiting deliveries failing${t.lastError ? ` (${t.lastError})` : ""}, oldest waiting ${formatAge(t.oldestAgeSeconds)}.
 Silta keeps retrying; <a href="/admin/failures?target=${t.target}">see its failures</a>.</div>`,
  )}</div></div></div>`.toString();
}

/** The console's page frame: navigation, the logout form (with its CSRF token) and the content. */
export function consolePage(
  title: string,
  csrf: string | null,
  content: Content,
  flash?: { text: string; error?: boolean } | null,
) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} – Silta console</title>${raw(STYLESHEET_LINK)}<style>${STYLE}</style></head>
<body>
<header class="site-header"><strong>Silta</strong>
${
  csrf
    ? html`<nav aria-label="Console" class="site-nav"><a href="/admin">Overview</a><a href="/admin/cases">Cases</a><a href="/admin/charts">Charts</a><a href="/admin/targets">Targets</a><a href="/admin/alerts">Alerts</a><a href="/admin/failures">Failures</a><a href="/admin/quarantine">Quarantine</a><a href="/admin/audit">Audit</a><a href="/api/admin/v1/docs">API</a></nav>
<form method="post" action="/admin/logout">${csrfField(csrf)}<button type="submit" class="hds-button hds-button--secondary hds-button--small">Log out</button></form>`
    : ""
}
</header>
<main>${csrf ? raw(TARGET_HEALTH_SLOT) : ""}<h1>${title}</h1>
${flash ? html`<div class="hds-notification hds-notification--${flash.error ? "error" : "success"}" role="status"><div class="hds-notification__content"><div class="hds-notification__body">${flash.error ? "✕ " : "✓ "}${flash.text}</div></div></div>` : ""}
${content}
</main>${accessibilityLink("en")}</body></html>`;
}

/** One `<option>` of a filter's select, selected when it is the current value. */
export function selectOption(value: string, current: string | undefined, label = value) {
  return html`<option value="${value}" ${value === (current ?? "") ? "selected" : ""}>${label}</option>`;
}

/** The hidden CSRF field every console form carries. */
export function csrfField(csrf: string) {
  return html`<input type="hidden" name="_csrf" value="${csrf}">`;
}

const HELSINKI = new Intl.DateTimeFormat("sv-SE", {
  timeZone: "Europe/Helsinki",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
  timeZoneName: "longOffset",
});

/**
 * A time as Helsinki reads it, with its offset (`2026-12-06 22:33:05 +02:00`), in a `<time>`
 * element that keeps the exact instant; "–" for none. The console's admins work in Helsinki.
 */
export function helsinkiTime(value: string | Date | null | undefined) {
  if (!value) return "–";
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const part = (type: Intl.DateTimeFormatPartTypes) => HELSINKI.formatToParts(date).find((p) => p.type === type)?.value ?? "";
  const offset = part("timeZoneName").replace("GMT", "") || "+00:00";
  const text = `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}:${part("second")} ${offset}`;
  return html`<time datetime="${date.toISOString()}">${text}</time>`;
}

/** `n seconds/minutes/hours/days`, for ages. */
export function formatAge(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  if (seconds < 172_800) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86_400)} d`;
}
