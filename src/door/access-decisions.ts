/**
 * The decision for one presented credential and the event and signal that record it, shared by the keypad and
 * reader (entry-path.ts) and the remote paths (remote-access.ts), so that every path decides and records alike.
 * Contract: grant() drives the relay before anything else; deny() shows a guess only once its event is stored, so
 * that a crash or power cut right after it cannot hand the guesser fresh tries; nothing here throws a storage
 * failure into the caller (find() reports it instead).
 */
import {
  decide,
  type AccessFacts,
  type CredentialKind,
  type Decision,
  type DenyReason,
  type DoorMode,
  type PresentedKind,
} from '../core/decision.js';
import { denyCode, denyLabel, grantCode, grantLabel } from '../core/event-codes.js';
import { accessEvent, newEvent } from '../storage/new-event.js';
import type { CalendarSource } from './door-modes.js';
import { NO_CALENDAR, type DoorParts } from './door-parts.js';

/**
 * Uses spent by grants whose events are not stored yet, by credential id, for every door of this process: the
 * database still shows them unspent until the event writer commits, and a second entry in that moment must not
 * find the use still there.
 */
const unstoredSpends = new Map<string, number>();

/** A lookup's result: `failed` when storage could not answer (the facts are then null). */
export interface Found {
  facts: AccessFacts | null;
  failed?: boolean;
}

export class AccessDecisions {
  constructor(private readonly p: DoorParts) {}

  /** A lookup that reports storage failures instead of throwing them into the input path. */
  find(kind: CredentialKind, value: string): Found {
    const { deps } = this.p;
    try {
      const facts = deps.lookup(kind, value);
      deps.onLookup?.(null);
      const spending = facts ? (unstoredSpends.get(facts.credential.id) ?? 0) : 0;
      const uses = facts?.credential.usesRemaining;
      if (facts && typeof uses === 'number' && spending > 0) facts.credential.usesRemaining = Math.max(0, uses - spending);
      return { facts };
    } catch (err) {
      deps.onLookup?.(err as Error);
      return { facts: null, failed: true };
    }
  }

  /** core/decision.ts decide() with this door's lockdown, holidays, clock and zone. */
  decideNow(kind: PresentedKind, facts: AccessFacts | null, keypadLockedOut: boolean, mode: DoorMode = this.p.deps.door.mode): Decision {
    const { door, clock } = this.p.deps;
    let holidays: ReturnType<CalendarSource['holidays']> = [];
    try {
      holidays = (this.p.deps.calendar ?? NO_CALENDAR).holidays();
    } catch {
      // The calendar shares the credential's database: a lookup that worked but a calendar that did not is rare,
      // and the person's own schedule still applies.
    }
    return decide({
      lockdown: this.p.modes.lockdown.card,
      holidays,
      presented: kind,
      facts,
      door: { id: door.id, mode, maxPinAgeDays: door.max_pin_age_days ?? null },
      nowMs: clock.wallMs(),
      zone: this.p.deps.zone,
      timeTrusted: clock.trusted(),
      keypadLockedOut,
    });
  }

  /** A PIN attempt that counts as a guess: counted (and saved), then denied once stored. */
  wrongPin(facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>): void {
    this.p.keypadGuard.failure();
    this.p.watchExpiry();
    this.deny('PIN', facts, reason, detail, true);
  }

  /**
   * A grant holds the relay for the door's unlock time, or the person's own when longer. A use-limited PIN's grant
   * spends its use in the grant event's own commit (storage/event-repo.ts) and opens once that is stored, as a wrong
   * guess is shown: a crash right after the door opened must not give the use back. That waits one group commit
   * (a few ms); every other grant drives the relay before anything else.
   */
  grant(kind: PresentedKind | 'Card+PIN', facts: AccessFacts, emergency = false, source: string | null = null): void {
    const { deps } = this.p;
    const unlockMs = Math.max(deps.door.unlock_ms, facts.person.unlockMs ?? 0);
    const uses = facts.credential.usesRemaining;
    const open = () => {
      this.p.relay.unlock(unlockMs);
      // First-person-in starts the shift; after it, the last to leave ends it.
      this.p.modes.onAccess('grant');
      this.p.annunciator.show('granted', unlockMs);
    };
    const limited = typeof uses === 'number' && facts.credential.kind === 'PIN';
    // The relay first: the person at the door must not wait for anything else.
    if (!limited) open();
    const detail: Record<string, unknown> = {};
    if (emergency) detail['emergency'] = true;
    if (limited) detail['uses_remaining'] = uses - 1;
    if (unlockMs !== deps.door.unlock_ms) detail['unlock_ms'] = unlockMs;
    deps.events.record(
      accessEvent(
        'access_granted',
        grantCode(kind),
        {
          door_id: deps.door.id,
          event_label: grantLabel(facts.person.name, kind, emergency),
          person_id: facts.person.id,
          person_name: facts.person.name,
          credential_id: facts.credential.id,
          credential_type: kind,
          source,
          detail: Object.keys(detail).length > 0 ? detail : null,
        },
        this.p.moment(),
      ),
    );
    const outcome = () => this.p.outcomes.emit({ credential_type: kind, granted: true, reason: null, person_name: facts.person.name });
    if (!limited) return outcome();
    const id = facts.credential.id;
    unstoredSpends.set(id, (unstoredSpends.get(id) ?? 0) + 1);
    const shown = deps.events.whenStored().then((stored) => {
      if (!stored) {
        // Fail secure: the spend is not durable, so the door stays locked. The event stays queued and may still be
        // stored (spending the use), so the pending spend is kept: a use is never handed out twice.
        deps.log.warn(`door ${deps.door.id}: a use-limited PIN was refused because its use could not be stored`);
        if (this.p.stopped) return;
        this.p.annunciator.show('denied', 1000);
        this.p.outcomes.emit({ credential_type: kind, granted: false, reason: 'storage_error', person_name: facts.person.name });
        return;
      }
      unstoredSpends.set(id, (unstoredSpends.get(id) ?? 1) - 1);
      if (unstoredSpends.get(id) === 0) unstoredSpends.delete(id);
      if (this.p.stopped) return;
      open();
      outcome();
    });
    this.p.settleAfter(shown);
  }

  /**
   * A PIN typed in its duress form (core/duress.ts), or a person's duress PIN: only an alarm event, at once; the caller then decides and shows
   * as for the real PIN, so nothing at the door differs. The event names the person, never a PIN.
   */
  duress(facts: AccessFacts): void {
    const { deps } = this.p;
    // Recorded like any event (logged at warning as an alarm once stored, then MQTT and webhooks from the outbox).
    deps.events.record(
      newEvent(
        'duress',
        {
          door_id: deps.door.id,
          event_label: `${deps.door.name}: duress PIN entered by ${facts.person.name}`,
          person_id: facts.person.id,
          person_name: facts.person.name,
          credential_id: facts.credential.id,
          credential_type: 'PIN',
        },
        this.p.moment(),
      ),
    );
  }

  /** Records the denial; shows it at once, or (a guess) once it is stored, so a crash cannot undo the count. */
  deny(kind: PresentedKind, facts: AccessFacts | null, reason: DenyReason, detail?: Record<string, unknown>, guess = false): void {
    const { deps } = this.p;
    deps.events.record(
      accessEvent(
        'access_denied',
        denyCode(kind, reason),
        {
          door_id: deps.door.id,
          event_label: denyLabel(facts?.person.name ?? null, kind, reason),
          person_id: facts?.person.id ?? null,
          person_name: facts?.person.name ?? null,
          credential_id: facts?.credential.id ?? null,
          credential_type: kind,
          reason,
          detail: detail ?? null,
        },
        this.p.moment(),
      ),
    );
    const show = () => {
      const lockedGuard = kind === 'PIN' ? this.p.keypadGuard : kind === 'Card' ? this.p.readerGuard : null;
      if (lockedGuard?.lockedOut) this.p.annunciator.show('locked_out', lockedGuard.remainingMs);
      else this.p.annunciator.show('denied', 1000);
      this.p.outcomes.emit({ credential_type: kind, granted: false, reason, person_name: facts?.person.name ?? null });
    };
    if (!guess) return show();
    const shown = deps.events.whenStored().then((stored) => {
      if (this.p.stopped) return; // a stopped door shows nothing (its LED timers would keep the process alive)
      if (!stored) deps.log.warn(`door ${deps.door.id}: showing a refusal that could not be stored yet`);
      show();
    });
    this.p.settleAfter(shown);
  }
}
