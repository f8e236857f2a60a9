/**
 * The site calendar as the doors read it on the main thread, on every tick and every entry: shifts and holidays,
 * read again only when their version changed (one indexed row, a few microseconds; storage/calendar-repo.ts), so an
 * admin's change is seen at the next tick or entry and an unchanged calendar costs nothing to parse.
 */
import type { Holiday, Shift } from '../core/site-calendar.js';
import { CalendarRepo } from './calendar-repo.js';
import type { Store } from './store.js';

export class CalendarLookup {
  private repo: CalendarRepo;
  private cached: { version: number; shifts: Shift[]; holidays: Holiday[] } | null = null;

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
    const version = this.repo.version();
    if (this.cached && this.cached.version === version) return this.cached;
    this.cached = { version, shifts: this.repo.shifts(), holidays: this.repo.holidays() };
    return this.cached;
  }
}
