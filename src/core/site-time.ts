/**
 * Wall-clock instants in the site's time zone, with DST, through Intl only.
 * Stored times are UTC ISO strings at second precision ("2024-01-15T14:30:00Z"), as the guide shows them,
 * so they sort as text.
 */

/** True when `zone` is an IANA time zone name this Node knows. */
export function isValidTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The system's time zone, the default for the site. */
export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

/** UTC ISO string at second precision. */
export function toIsoSeconds(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Offset of `zone` from UTC at instant `ms`, in milliseconds (positive east of Greenwich). */
export function zoneOffsetMs(ms: number, zone: string): number {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatters.set(zone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(new Date(ms))) if (part.type !== 'literal') p[part.type] = Number(part.value);
  const asUtc = Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `zone` shows the given local time, disambiguated like Temporal's
 * "compatible": in a fall-back fold the earlier instant, in a spring-forward gap the time moves forward by the gap.
 */
export function localToUtcMs(local: { y: number; mo: number; d: number; h: number; mi: number; s: number }, zone: string): number {
  const naive = Date.UTC(local.y, local.mo - 1, local.d, local.h, local.mi, local.s);
  const day = 86_400_000;
  // Zone offsets a day either side cover both sides of any DST change near this time.
  const candidates = [zoneOffsetMs(naive - day, zone), zoneOffsetMs(naive + day, zone)].map((o) => naive - o);
  const valid = candidates.filter((t) => zoneOffsetMs(t, zone) === naive - t);
  return valid.length > 0 ? Math.min(...valid) : Math.max(...candidates);
}

const WITH_OFFSET = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const LOCAL = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?$/;

/**
 * Parses an admin-entered time: ISO 8601 with `Z` or an offset is taken as given; a date or date-time without one
 * is the site's local time (an admin at the door means local time). Returns UTC ms, or null when it is not a time.
 */
export function parseSiteTime(text: string, zone: string): number | null {
  if (WITH_OFFSET.test(text)) {
    const ms = Date.parse(text);
    return Number.isNaN(ms) ? null : ms;
  }
  const m = LOCAL.exec(text);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as number[];
  if (mo! < 1 || mo! > 12 || d! < 1 || d! > 31 || h! > 23 || mi! > 59 || s! > 59) return null;
  // Reject 2024-02-31 rather than roll it into March.
  if (new Date(Date.UTC(y!, mo! - 1, d!)).getUTCDate() !== d) return null;
  return localToUtcMs({ y: y!, mo: mo!, d: d!, h: h!, mi: mi!, s: s! }, zone);
}
