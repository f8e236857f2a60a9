/**
 * The site-wide lockdown: one state for every door of this controller, saved under the site's key (0) so a restart
 * resumes it. Setting or ending it tells each door, which records its own event (naming the source) and acts.
 */
import { isLockedDown, type LockdownState } from '../core/site-calendar.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import { EMPTY_MODE, SITE_KEY, type PersistedDoorMode } from '../storage/door-mode-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import type { SiteLockdown } from './door-modes.js';

export class SiteLockdownState implements SiteLockdown {
  state: LockdownState | null;

  constructor(
    resumed: PersistedDoorMode | undefined,
    private readonly sink: Pick<EventSink, 'saveDoorMode'>,
    private readonly clock: Clock,
  ) {
    this.state = resumed?.lockdown && isLockedDown(resumed.lockdown) ? resumed.lockdown : null;
  }

  get active(): boolean {
    return isLockedDown(this.state);
  }

  /** Sets the site lockdown; `doors` are told after (each records its own event). */
  set(l: LockdownState, source: string, doors: Iterable<{ siteLockdownChanged(source: string, started: boolean): void }>): void {
    this.state = { card: l.card || this.state?.card === true, rex: l.rex || this.state?.rex === true, aux: l.aux || this.state?.aux === true };
    this.save(source);
    for (const door of doors) door.siteLockdownChanged(source, true);
  }

  end(source: string, doors: Iterable<{ siteLockdownChanged(source: string, started: boolean): void }>): void {
    this.state = null;
    this.save(null);
    for (const door of doors) door.siteLockdownChanged(source, false);
  }

  private save(source: string | null): void {
    const now = toIsoSeconds(this.clock.wallMs());
    this.sink.saveDoorMode(SITE_KEY, { ...EMPTY_MODE, lockdown: this.state, lockdownSource: source, changeStamp: now }, now);
  }
}
