import { html } from "hono/html";
import { HISTORY_RANGES, type HistoryRange, type TargetHistory } from "../../domain/admin/delivery-history.ts";
import { consolePage, helsinkiTime } from "./layout.ts";

const WIDTH = 720;
const HEIGHT = 160;
const PAD = { left: 40, right: 48, top: 10, bottom: 22 };

/**
 * One target's chart, drawn on the server as SVG (no script): bars of delivered (green) and
 * failed (red) attempts per bucket on the left axis, the p95 latency as a line on the right.
 */
function chart(history: TargetHistory, range: HistoryRange) {
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
    return html`<rect class="delivered" x="${x.toFixed(1)}" y="${y(b.delivered).toFixed(1)}" width="${w.toFixed(1)}" height="${(PAD.top + plotH - y(b.delivered)).toFixed(1)}" fill="#0a6"><title>${b.at}: ${b.delivered} delivered</title></rect>
<rect class="failed" x="${x.toFixed(1)}" y="${y(b.delivered + b.failed).toFixed(1)}" width="${w.toFixed(1)}" height="${(y(b.delivered) - y(b.delivered + b.failed)).toFixed(1)}" fill="#b00020"><title>${b.at}: ${b.failed} failed</title></rect>`;
  });
  const points = buckets
    .map((b, i) => (b.p95Ms === null ? null : `${(PAD.left + (i + 0.5) * barW).toFixed(1)},${yMs(b.p95Ms).toFixed(1)}`))
    .filter((p) => p !== null)
    .join(" ");
  const totals = buckets.reduce((sum, b) => ({ ok: sum.ok + b.delivered, failed: sum.failed + b.failed }), { ok: 0, failed: 0 });
  return html`<section class="chart" data-target="${history.target}"><h2>${history.target}</h2>
<p>${totals.ok} delivered, ${totals.failed} failed in the last ${range}; p95 latency up to ${maxMs === 1 ? "–" : `${maxMs} ms`}.</p>
<svg role="img" aria-label="${history.target}: deliveries and failures per ${range === "hour" ? "minute" : "bucket"}, p95 latency" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" style="max-width:${WIDTH}px">
<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${PAD.left + plotW}" y2="${PAD.top + plotH}" stroke="#888"/>
<text x="${PAD.left - 4}" y="${PAD.top + 8}" text-anchor="end" font-size="10">${maxCount}</text>
<text x="${PAD.left - 4}" y="${PAD.top + plotH}" text-anchor="end" font-size="10">0</text>
<text x="${PAD.left + plotW + 4}" y="${PAD.top + 8}" font-size="10" fill="#12355b">${maxMs === 1 ? "" : `${maxMs} ms`}</text>
${bars}
${points ? html`<polyline class="p95" points="${points}" fill="none" stroke="#12355b" stroke-width="1.5"/>` : ""}
<text x="${PAD.left}" y="${HEIGHT - 6}" font-size="10">${buckets[0]?.at.slice(0, 16).replace("T", " ")} UTC</text>
<text x="${PAD.left + plotW}" y="${HEIGHT - 6}" font-size="10" text-anchor="end">now</text>
</svg></section>`;
}

/** Deliveries, failures and p95 latency per target over the last hour, day or week. */
export function renderChartsPage(histories: TargetHistory[], range: HistoryRange, csrf: string, now: Date) {
  return consolePage(
    "Deliveries over time",
    csrf,
    html`<p>${(Object.keys(HISTORY_RANGES) as HistoryRange[]).map(
      (r, i) =>
        html`${i > 0 ? " · " : ""}${r === range ? html`<strong>last ${r}</strong>` : html`<a href="/admin/charts?range=${r}">last ${r}</a>`}`,
    )} · as of ${helsinkiTime(now)}. Green: delivered; red: failed attempts; line: p95 latency.</p>
${histories.length === 0 ? html`<p id="no-deliveries">No deliveries in the last ${range}.</p>` : histories.map((h) => chart(h, range))}`,
  );
}
