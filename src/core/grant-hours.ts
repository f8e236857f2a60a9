/**
 * new_hour's memory: for each person the hours of day (site time) their grants of the last `days` days fell in, and
 * how many grants that was. Held compact and bounded for a site of 100,000 people on a Pi: no object per person or per
 * day, but flat typed arrays indexed by a per-person slot (Map<personId, slot>, capacity doubling), each slot holding
 * - the newest UTC day noted for the person (0: the slot is free);
 * - per hour of day (24) the newest UTC day a grant fell in it: the hour is in the window while that day is;
 * - a ring of `days` grant counts, one per UTC day, for the days (newest - days, newest]: the count in the window.
 * That is 2 + 48 + 2 × days bytes a person (170 at 30 days) plus the Map's entry. A person whose newest grant left
 * the window holds nothing the rule could use: when the slots are full they are forgotten and their slots reused
 * before the store grows. Day numbers are UTC days since 1970 as Uint16 (good until 2149); grants outside are not
 * noted. Times are passed in; no clock, no I/O.
 */
import type { AnomalyPolicy, NewHourFinding } from './anomaly-rules.js';
import { zoneOffsetMs } from './site-time.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
/** Zone offsets change only on a quarter hour of UTC (whole-minute local times, offsets in 15 min steps). */
const QUARTER_MS = 900_000;
const HOURS = 24;
const MAX_DAY = 0xffff;
const MAX_COUNT = 0xffff;
const FIRST_CAPACITY = 1024;
/** Quarter hours whose zone offset is kept: a day's worth. */
const OFFSET_CACHE = 96;

/** The hour of day (0-23) on the site's wall clock at instant `ms`. */
export function siteHour(ms: number, zone: string): number {
  return hourAt(ms, zoneOffsetMs(ms, zone));
}

function hourAt(ms: number, offsetMs: number): number {
  const local = ms + offsetMs;
  return Math.floor((((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS);
}

export class GrantHours {
  private readonly slots = new Map<number, number>();
  private readonly free: number[] = [];
  private capacity = 0;
  private used = 0;
  private newestDay = new Uint16Array(0);
  private hourDay = new Uint16Array(0);
  private counts = new Uint16Array(0);
  /** The newest day noted for anyone: a slot whose person's newest day is `days` before it is stale. */
  private siteNewestDay = 0;
  /**
   * Zone offsets of recent quarter hours, direct-mapped (quarter mod OFFSET_CACHE): asking Intl costs microseconds,
   * and grants come nearly in time order, so this nearly always hits.
   */
  private readonly offsetQuarter = new Float64Array(OFFSET_CACHE).fill(NaN);
  private readonly offsetMs = new Float64Array(OFFSET_CACHE);

  constructor(
    private readonly policy: AnomalyPolicy['newHour'],
    private readonly zone: string,
  ) {}

  /** People held (their grants may still be in someone's window). */
  get people(): number {
    return this.slots.size;
  }

  /** Slots allocated: bounded by the people seen within `days` of each other, not by all ever seen. */
  get slotCapacity(): number {
    return this.capacity;
  }

  /** Notes a grant from history (the event table at start), without judging it. */
  note(personId: number, atMs: number): void {
    this.noteAt(personId, Math.floor(atMs / DAY_MS), this.hour(atMs));
  }

  /** Judges a new grant against the window before it, then notes it (so a second use at that hour is not new). */
  grant(personId: number, atMs: number): NewHourFinding | null {
    const day = Math.floor(atMs / DAY_MS);
    const hour = this.hour(atMs);
    const finding = this.policy.enabled ? this.judge(personId, day, hour) : null;
    this.noteAt(personId, day, hour);
    return finding;
  }

  private hour(atMs: number): number {
    const quarter = Math.floor(atMs / QUARTER_MS);
    const i = ((quarter % OFFSET_CACHE) + OFFSET_CACHE) % OFFSET_CACHE;
    if (this.offsetQuarter[i] !== quarter) {
      this.offsetMs[i] = zoneOffsetMs(atMs, this.zone);
      this.offsetQuarter[i] = quarter;
    }
    return hourAt(atMs, this.offsetMs[i]!);
  }

  private noteAt(personId: number, day: number, hour: number): void {
    if (day < 1 || day > MAX_DAY) return;
    const { days } = this.policy;
    // Before a slot is taken, so a sweep for one can forget those this grant's day leaves behind.
    if (day > this.siteNewestDay) this.siteNewestDay = day;
    const slot = this.slots.get(personId) ?? this.take(personId);
    const newest = this.newestDay[slot]!;
    const ring = slot * days;
    if (day > newest) {
      // The days between the newest noted and this one had no grants: their ring entries start again at zero.
      for (let d = Math.max(newest + 1, day - days + 1); d <= day; d++) this.counts[ring + (d % days)] = 0;
      this.newestDay[slot] = day;
    } else if (day <= newest - days) {
      return; // older than the window the ring holds
    }
    const at = ring + (day % days);
    if (this.counts[at]! < MAX_COUNT) this.counts[at]!++;
    const h = slot * HOURS + hour;
    if (day > this.hourDay[h]!) this.hourDay[h] = day;
  }

  private judge(personId: number, today: number, hour: number): NewHourFinding | null {
    const slot = this.slots.get(personId);
    if (slot === undefined) return null;
    const { days } = this.policy;
    const newest = this.newestDay[slot]!;
    let grants = 0;
    for (let d = Math.max(today, newest) - days + 1; d <= Math.min(today, newest); d++) grants += this.counts[slot * days + (d % days)]!;
    // An hour last seen on a day after today (a clock set back) counts as seen: the rule errs toward quiet.
    const inWindow = (h: number) => this.hourDay[slot * HOURS + h]! > today - days;
    if (grants < this.policy.minHistory || inWindow(hour)) return null;
    const hoursSeen = [...Array(HOURS).keys()].filter(inWindow);
    return { rule: 'new_hour', hour, grantsInWindow: grants, hoursSeen };
  }

  /** A slot for a person not held: a free one, one freed from people whose window has passed, or a new one. */
  private take(personId: number): number {
    if (this.free.length === 0 && this.used === this.capacity) {
      this.forgetStale();
      // Grow unless the sweep freed a good share, so sweeps stay rare (amortised O(1) a new person).
      if (this.free.length === 0 || this.free.length < this.capacity / 4) this.grow();
    }
    const slot = this.free.pop() ?? this.used++;
    this.slots.set(personId, slot);
    return slot;
  }

  private forgetStale(): void {
    const { days } = this.policy;
    for (const [personId, slot] of this.slots) {
      if (this.newestDay[slot]! > this.siteNewestDay - days) continue;
      this.slots.delete(personId);
      this.newestDay[slot] = 0;
      this.hourDay.fill(0, slot * HOURS, (slot + 1) * HOURS);
      this.counts.fill(0, slot * days, (slot + 1) * days);
      this.free.push(slot);
    }
  }

  private grow(): void {
    const capacity = Math.max(FIRST_CAPACITY, this.capacity * 2);
    const widen = (old: Uint16Array, per: number) => {
      const next = new Uint16Array(capacity * per);
      next.set(old);
      return next;
    };
    this.newestDay = widen(this.newestDay, 1);
    this.hourDay = widen(this.hourDay, HOURS);
    this.counts = widen(this.counts, this.policy.days);
    this.capacity = capacity;
  }
}
