/**
 * Helsinki's API wrote timestamps in local time with their offset (`+02:00` in winter, `+03:00`
 * in summer). The simulator does the same, so that clients meet both offsets and never a bare `Z`.
 * Intl carries the time-zone rules, which keeps this free of `node:` imports.
 */
const helsinkiParts = new Intl.DateTimeFormat("en-US", {
  timeZone: "Europe/Helsinki",
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

function pad(value: number): string {
  return String(value).padStart(2, "0");
}

/** `2016-03-22T13:27:16+02:00` for an epoch-ms instant (milliseconds dropped, as Helsinki did). */
export function toHelsinkiIso(ms: number): string {
  const whole = Math.floor(ms / 1000) * 1000;
  const parts: Record<string, number> = {};
  for (const part of helsinkiParts.formatToParts(new Date(whole))) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  const hour = parts.hour ?? 0;
  const minute = parts.minute ?? 0;
  const second = parts.second ?? 0;
  const offsetMinutes = Math.round((Date.UTC(year, month - 1, day, hour, minute, second) - whole) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const absolute = Math.abs(offsetMinutes);
  return `${year}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}${sign}${pad(Math.floor(absolute / 60))}:${pad(absolute % 60)}`;
}
