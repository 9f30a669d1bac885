// Calls per hour, stacked by outcome: plain SVG, no chart library.
import { timestampDate } from "@bufbuild/protobuf/wkt";
import type { HourCount } from "./gen/meetline/v1/call_pb";
import { useLang, useT } from "./i18n";

const hourMs = 3600_000;
/** More hours than this are drawn from the last one back: a bar stays wide enough to see. */
const maxBars = 24 * 14;
/** Fewer hours are drawn as a day: one busy hour is not a wall. */
const minBars = 24;
const palette = ["#2e7d32", "#c62828", "#1565c0", "#ef6c00", "#6a1b9a", "#00838f", "#9e9d24", "#5d4037", "#546e7a"];

/** outcomeColors gives each outcome a color, the most frequent first, so that colors stay put as counts change. */
export function outcomeColors(hours: HourCount[]): Map<string, string> {
  const totals = new Map<string, number>();
  for (const h of hours) totals.set(h.outcome, (totals.get(h.outcome) ?? 0) + Number(h.count));
  const order = [...totals.keys()].sort((a, b) => totals.get(b)! - totals.get(a)! || a.localeCompare(b));
  return new Map(order.map((o, i) => [o, palette[i % palette.length]]));
}

export function CallChart({ hours }: { hours: HourCount[] }) {
  const t = useT();
  const lang = useLang();
  if (hours.length === 0) return <p class="muted">{t("calls.noneFound")}</p>;
  const colors = outcomeColors(hours);
  const byHour = new Map<number, HourCount[]>();
  for (const h of hours) {
    if (!h.hour) continue;
    const at = timestampDate(h.hour).getTime();
    byHour.set(at, [...(byHour.get(at) ?? []), h]);
  }
  const last = Math.max(...byHour.keys());
  const first = Math.max(Math.min(Math.min(...byHour.keys()), last - (minBars - 1) * hourMs), last - (maxBars - 1) * hourMs);
  const bars = (last - first) / hourMs + 1;
  const total = (at: number) => (byHour.get(at) ?? []).reduce((n, h) => n + Number(h.count), 0);
  let peak = 1;
  for (let at = first; at <= last; at += hourMs) peak = Math.max(peak, total(at));

  const width = 720;
  const height = 200;
  const left = 36;
  const bottom = 24;
  const slot = (width - left) / bars;
  const scale = (height - bottom - 8) / peak;
  const label = (at: number) => new Date(at).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" });
  const every = Math.ceil(bars / 12);
  const rects = [];
  const ticks = [];
  for (let i = 0; i < bars; i++) {
    const at = first + i * hourMs;
    let y = height - bottom;
    for (const h of byHour.get(at) ?? []) {
      const hgt = Number(h.count) * scale;
      y -= hgt;
      rects.push(
        <rect key={`${at}-${h.outcome}`} x={left + i * slot + 1} y={y} width={Math.max(1, slot - 2)} height={hgt} fill={colors.get(h.outcome)}>
          <title>{`${new Date(at).toLocaleString(lang)} · ${h.outcome || t("calls.inProgress")}: ${h.count}`}</title>
        </rect>,
      );
    }
    if (i % every === 0) {
      ticks.push(
        <text key={at} x={left + i * slot + slot / 2} y={height - 6} text-anchor="middle" font-size="11">
          {label(at)}
        </text>,
      );
    }
  }
  const summary = [...colors.keys()]
    .map((o) => `${o || t("calls.inProgress")}: ${hours.filter((h) => h.outcome === o).reduce((n, h) => n + Number(h.count), 0)}`)
    .join(", ");
  return (
    <figure class="chart" data-testid="calls-chart">
      <svg viewBox={`0 0 ${width} ${height}`} role="img" aria-label={t("calls.chartLabel", { summary })}>
        <line x1={left} y1={height - bottom} x2={width} y2={height - bottom} stroke="currentColor" />
        <text x={left - 4} y={12} text-anchor="end" font-size="11">
          {peak}
        </text>
        <text x={left - 4} y={height - bottom} text-anchor="end" font-size="11">
          0
        </text>
        {rects}
        {ticks}
      </svg>
      <figcaption>
        <ul class="legend">
          {[...colors].map(([o, c]) => (
            <li key={o}>
              <span class="swatch" style={{ background: c }} /> {o || t("calls.inProgress")}
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
