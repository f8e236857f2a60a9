/**
 * When a PIN is due a pin_expiring warning (issue 20): a door with max_pin_age_days refuses PINs that old, and warns
 * pin_expiry_warning_days before. Doors with the same age and warning share one window, so one query covers them;
 * a PIN already expired is past warning (the door refuses it; a reminder would come too late to be one).
 */
const DAY_MS = 86_400_000;

export interface ExpiryDoor {
  id: number;
  max_pin_age_days?: number | undefined;
  pin_expiry_warning_days: number;
}

export interface ExpiryWindow {
  ageDays: number;
  doorIds: number[];
  /** PINs made after this (ms) have not expired yet at these doors. */
  createdAfterMs: number;
  /** PINs made at or before this (ms) are inside the warning window. */
  createdUntilMs: number;
}

/** The windows at `nowMs`, shortest age first: a PIN is warned once, about the first doors to refuse it. */
export function expiryWindows(doors: readonly ExpiryDoor[], nowMs: number): ExpiryWindow[] {
  const groups = new Map<string, { age: number; warn: number; doorIds: number[] }>();
  for (const d of doors) {
    if (d.max_pin_age_days === undefined) continue;
    const key = `${d.max_pin_age_days}/${d.pin_expiry_warning_days}`;
    const g = groups.get(key) ?? { age: d.max_pin_age_days, warn: d.pin_expiry_warning_days, doorIds: [] };
    g.doorIds.push(d.id);
    groups.set(key, g);
  }
  return [...groups.values()]
    .sort((a, b) => a.age - b.age || b.warn - a.warn)
    .map((g) => ({
      ageDays: g.age,
      doorIds: g.doorIds,
      createdAfterMs: nowMs - g.age * DAY_MS,
      // A warning longer than the age itself: the whole life of the PIN is in the window.
      createdUntilMs: nowMs - Math.max(0, g.age - g.warn) * DAY_MS,
    }));
}

/** When a PIN made at `createdMs` expires at doors of `ageDays`. */
export const expiresAtMs = (createdMs: number, ageDays: number): number => createdMs + ageDays * DAY_MS;
