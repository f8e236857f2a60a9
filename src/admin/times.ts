/** Admin-entered times: ISO 8601 with an offset, or a local date/time in the site's zone. */
import { parseSiteTime, toIsoSeconds } from '../core/site-time.js';
import type { Problems } from './errors.js';

/** The time as stored (UTC, seconds), or null after adding the problem; undefined/empty stays null without one. */
export function readTime(field: string, text: string | null | undefined, zone: string, problems: Problems): string | null {
  if (text === undefined || text === null || text === '') return null;
  const ms = parseSiteTime(text, zone);
  if (ms === null) {
    problems.add(field, 'must be an ISO 8601 time (2024-01-15T09:00:00Z, or 2024-01-15T09:00 in the site time zone)');
    return null;
  }
  return toIsoSeconds(ms);
}
