/**
 * A door's last event and last access as the database knows them, for the retained state after a restart: the daemon
 * names only what it has seen since it started, and a state saying `last_access: null` would overwrite the right one
 * on the broker (and in Home Assistant). Read in the publisher worker, once per door, so the door's thread never
 * waits on the query; whichever of the two is newer (by event id) is published.
 */
import { ACCESS_EVENT_TYPES } from '../core/event-types.js';
import { lastAccess, type DoorState, type LastAccess } from '../door/door-views.js';
import type { Db } from '../storage/database.js';
import { EventRepo } from '../storage/event-repo.js';

export class StateResume {
  private readonly known = new Map<number, { lastEventId: number | null; lastAccess: LastAccess | null }>();

  /** `db` is the worker's connection, null while it cannot open (then the state goes out as the daemon built it). */
  constructor(private readonly db: () => Db | null) {}

  merge(doorId: number, state: DoorState): DoorState {
    const stored = this.stored(doorId);
    if (!stored) return state;
    const newer = <T>(mine: T | null, mineId: number | null, theirs: T | null, theirsId: number | null) =>
      (mineId ?? 0) >= (theirsId ?? 0) ? mine : theirs;
    return {
      ...state,
      last_event_id: newer(state.last_event_id, state.last_event_id, stored.lastEventId, stored.lastEventId),
      last_access: newer(state.last_access, state.last_access?.event_id ?? null, stored.lastAccess, stored.lastAccess?.event_id ?? null),
    };
  }

  private stored(doorId: number) {
    const cached = this.known.get(doorId);
    if (cached) return cached;
    const db = this.db();
    if (!db) return null;
    try {
      const repo = new EventRepo(db);
      const access = repo.newestAtDoor(doorId, ACCESS_EVENT_TYPES);
      const found = { lastEventId: repo.newestAtDoor(doorId)?.id ?? null, lastAccess: access ? lastAccess(access) : null };
      this.known.set(doorId, found);
      return found;
    } catch {
      return null; // asked again with the next state
    }
  }
}
