/**
 * The site calendar as the doors read it on the main thread: shifts and holidays, a few rows, read again at most
 * once a second (a door ticks each second and decides on every entry; an admin's change is seen within a second).
 */
import type { Holiday, Shift } from '../core/site-calendar.js';
import { CalendarRepo } from './calendar-repo.js';
import type { Store } from './store.js';

const FRESH_MS = 1000;

export class CalendarLookup {
  private repo: CalendarRepo;
  private cached: { atMs: number; shifts: Shift[]; holidays: Holiday[] } | null = null;

  constructor(store: Store) {
    this.repo = new CalendarRepo(store.db);
  }

  /** Reads another store from now on (the real file, after deciding from a copy in memory). */
  use(store: Store): void {
    this.repo = new CalendarRepo(store.db);
    this.cached = null;
  }

  shifts(): readonly Shift[] {
    return this.read().shifts;
  }

  holidays(): readonly Holiday[] {
    return this.read().holidays;
  }

  /** Throws what SQLite threw: the door then runs no shift, and decides without holidays. */
  private read(): { shifts: Shift[]; holidays: Holiday[] } {
    const now = performance.now();
    if (this.cached && now - this.cached.atMs < FRESH_MS) return this.cached;
    this.cached = { atMs: now, shifts: this.repo.shifts(), holidays: this.repo.holidays() };
    return this.cached;
  }
}
