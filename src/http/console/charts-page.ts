import { html } from "hono/html";
import { HISTORY_RANGES, type HistoryRange, type TargetHistory } from "../../domain/admin/delivery-history.ts";
import { consolePage, formatAge, helsinkiTime } from "./layout.ts";

const WIDTH = 720;
const HEIGHT = 160;
const AGE_HEIGHT = 90;
const PAD = { left: 40, right: 48, top: 10, bottom: 22 };
/** Colours with a 4.5:1 contrast on white, so that bars, lines and their labels read alike. */
const COLOURS = { delivered: "#00754a", failed: "#b00020", p95: "#12355b", age: "#8a4b00" };

const bucketWord = (range: HistoryRange) => (range === "hour" ? "minute" : range === "day" ? "hour" : "six hours");
/** A bucket's start as Helsinki reads it, short (`12-06 21:00`), for axis ends and tooltips. */
const shortTime = (iso: string) => {
  const full = helsinkiTime(iso).toString();
  return /(\d{2}-\d{2} \d{2}:\d{2})/.exec(full)?.[1] ?? iso;
};

/**
 * Deliveries (green) and failed attempts (red, stacked on top) per bucket on the left axis, the
 * p95 latency as a line on the right. Drawn on the server as SVG: no script, and a table of the
 * same figures follows it for screen readers and for reading exact values.
 */
function deliveryChart(history: TargetHistory, range: HistoryRange) {
  const { buckets } = history;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const maxCount = Math.max(1, ...buckets.map((b) => b.delivered + b.failed));
  const maxMs = Math.max(1, ...buckets.map((b) => b.p95Ms ?? 0));
  const barW = plotW / buckets.length;
  const y = (count: number) => PAD.top + plotH - (count / maxCount) * plotH;
  const yMs = (ms: number) => PAD.top + plotH - (ms / maxMs) * plotH;
  const bars = buckets.map((b, i) => {
    const x = PAD.left + i * barW + 0.5;
    const w = Math.max(1, barW - 1);
    return html`<rect class="delivered" x="${x.toFixed(1)}" y="${y(b.delivered).toFixed(1)}" width="${w.toFixed(1)}" height="${(PAD.top + plotH - y(b.delivered)).toFixed(1)}" fill="${COLOURS.delivered}"><title>${shortTime(b.at)}: ${b.delivered} delivered</title></rect>
<rect class="failed" x="${x.toFixed(1)}" y="${y(b.delivered + b.failed).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(b.delivered) - y(b.delivered + b.failed)).toFixed(1)}" fill="${COLOURS.failed}"><title>${shortTime(b.at)}: ${b.failed} failed</title></rect>`;
  });
  const points = buckets
    .map((b, i) => (b.p95Ms === null ? null : `${(PAD.left + (i + 0.5) * barW).toFixed(1)},${yMs(b.p95Ms).toFixed(1)}`))
    .filter((p) => p !== null)
    .join(" ");
  return html`<svg class="deliveries" role="img" aria-label="${history.target}: deliveries and failed attempts per ${bucketWord(range)}, and p95 latency; the table below has the figures" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" style="max-width:${WIDTH}px">
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#767676"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10">${maxCount}</text>
<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10">0</text>
<text x="${PAD.left + plotW + 4}" y="${PAD.top + 8}" font-size="10" fill="${COLOURS.p95}">${maxMs === 1 ? "" : `${maxMs} ms`}</text>
${bars}
${points ? html`<polyline class="p95" points="${points}" fill="none" stroke="${COLOURS.p95}" stroke-width="1.5" stroke-dasharray="4 2"/>` : ""}
<text x="${PAD.left}" y="${HEIGHT - 6}" font-size="10">${buckets[0] ? shortTime(buckets[0].at) : ""}</text>
<text x="${PAD.left + plotW}" y="${HEIGHT - 6}" font-size="10" text-anchor="end">now</text>
</svg>`;
}

/** The age of the oldest waiting job at each bucket's end: a rising line is a target falling behind. */
function backlogChart(history: TargetHistory, range: HistoryRange) {
  const { buckets } = history;
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = AGE_HEIGHT - PAD.top - PAD.bottom;
  const maxAge = Math.max(1, ...buckets.map((b) => b.backlogAgeS));
  const step = plotW / buckets.length;
  const points = buckets
    .map(
      (b, i) => `${(PAD.left + (i + 0.5) * step).toFixed(1)},${(PAD.top + plotH - (b.backlogAgeS / maxAge) * plotH).toFixed(1)}`,
    )
    .join(" ");
  return html`<svg class="backlog-age" role="img" aria-label="${history.target}: age of the oldest waiting delivery at the end of each ${bucketWord(range)}; the table below has the figures" viewBox="0 0 ${WIDTH} ${AGE_HEIGHT}" width="100%" style="max-width:${WIDTH}px">
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#767676"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10">${maxAge === 1 ? "" : formatAge(maxAge)}</text>
<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10">0</text>
<polyline class="age" points="${points}" fill="none" stroke="${COLOURS.age}" stroke-width="1.5"/>
<text x="${PAD.left}" y="${AGE_HEIGHT - 6}" font-size="10">oldest waiting</text>
</svg>`;
}

/** The same figures as a table: what a screen reader reads, and exact values for everyone. */
function figuresTable(history: TargetHistory) {
  return html`<details><summary>Figures for ${history.target} as a table</summary>
<table class="figures"><caption>${history.target}, per bucket (Helsinki time)</caption>
<thead><tr><th scope="col">From</th><th scope="col">Delivered</th><th scope="col">Failed</th><th scope="col">p95 latency</th><th scope="col">Oldest waiting at the end</th></tr></thead><tbody>
${history.buckets.map(
  (b) =>
    html`<tr><td>${helsinkiTime(b.at)}</td><td>${b.delivered}</td><td>${b.failed}</td><td>${b.p95Ms === null ? "–" : `${b.p95Ms} ms`}</td><td>${b.backlogAgeS > 0 ? formatAge(b.backlogAgeS) : "none waiting"}</td></tr>`,
)}</tbody></table></details>`;
}

function chart(history: TargetHistory, range: HistoryRange) {
  const totals = history.buckets.reduce((sum, b) => ({ ok: sum.ok + b.delivered, failed: sum.failed + b.failed }), {
    ok: 0,
    failed: 0,
  });
  const maxMs = Math.max(0, ...history.buckets.map((b) => b.p95Ms ?? 0));
  const maxAge = Math.max(0, ...history.buckets.map((b) => b.backlogAgeS));
  const lastAge = history.buckets.at(-1)?.backlogAgeS ?? 0;
  return html`<section class="chart" data-target="${history.target}" aria-labelledby="chart-${history.target}"><h2 id="chart-${history.target}">${history.target}</h2>
<p class="summary">${totals.ok} delivered, ${totals.failed} failed in the last ${range}; p95 latency up to ${maxMs === 0 ? "–" : `${maxMs} ms`};
oldest waiting delivery up to ${maxAge === 0 ? "none" : formatAge(maxAge)}, now ${lastAge === 0 ? "none waiting" : formatAge(lastAge)}.</p>
${deliveryChart(history, range)}
${backlogChart(history, range)}
${figuresTable(history)}
</section>`;
}

/** Deliveries, failures, p95 latency and backlog age per target over the last hour, day or week. */
export function renderChartsPage(histories: TargetHistory[], range: HistoryRange, csrf: string, now: Date) {
  return consolePage(
    "Deliveries over time",
    csrf,
    html`<nav aria-label="Range"><p>${(Object.keys(HISTORY_RANGES) as HistoryRange[]).map(
      (r, i) =>
        html`${i > 0 ? " · " : ""}${r === range ? html`<strong aria-current="page">last ${r}</strong>` : html`<a href="/admin/charts?range=${r}">last ${r}</a>`}`,
    )} · as of ${helsinkiTime(now)}.</p></nav>
<p class="legend"><span style="color:${COLOURS.delivered}">■ delivered</span> · <span style="color:${COLOURS.failed}">■ failed attempts (stacked on top)</span> ·
<span style="color:${COLOURS.p95}">- - p95 latency (right axis)</span> · <span style="color:${COLOURS.age}">— oldest waiting delivery (lower chart)</span></p>
${histories.length === 0 ? html`<p id="no-deliveries">No deliveries in the last ${range}.</p>` : histories.map((h) => chart(h, range))}`,
  );
}
