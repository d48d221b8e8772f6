/**
 * Maintenance windows (hawkBit): Quartz cron `schedule` (6 or 7 fields, Sunday = 1), `duration`
 * `HH:MM:SS`, `timezone` `±HH:MM`. Pure given `now`: open when the last start is less than `duration`
 * ago; `nextStartAt` is that start while open, else the next one.
 */
import { Cron } from 'croner';

export interface MaintenanceWindow {
  schedule: string;
  duration: string;
  timezone: string;
}

export interface WindowState {
  available: boolean;
  nextStartAt: number | null;
}

function durationMs(d: string): number {
  const [h = 0, m = 0, s = 0] = d.split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000;
}

function offsetMinutes(tz: string): number {
  const m = /^([+-])(\d{2}):(\d{2})$/.exec(tz);
  if (!m) return 0;
  const v = Number(m[2]) * 60 + Number(m[3]);
  return m[1] === '-' ? -v : v;
}

export function windowState(w: MaintenanceWindow, now: number): WindowState {
  const cron = new Cron(w.schedule, {
    utcOffset: offsetMinutes(w.timezone),
    mode: '6-or-7-parts',
    alternativeWeekdays: true,
    paused: true,
  });
  const prev = cron.previousRuns(1, new Date(now))[0];
  if (prev && now < prev.getTime() + durationMs(w.duration))
    return { available: true, nextStartAt: prev.getTime() };
  const next = cron.nextRun(new Date(now));
  return { available: false, nextStartAt: next ? next.getTime() : null };
}
