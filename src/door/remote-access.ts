/**
 * The door opened or locked from afar (MQTT, the API, DoorFlow): a plain remote unlock or lock, an admission of a
 * named person, and an unlock that carries a PIN. Contract: every unlock is capped by max_unlock_ms and refused in a
 * lockdown that stops cards; every outcome is one event naming its `source`; the PIN is hashed by the lookup and
 * kept nowhere.
 */
import type { AccessFacts, Decision } from '../core/decision.js';
import { denyCode, denyLabel } from '../core/event-codes.js';
import { doorAcceptsPin } from '../core/pin-rules.js';
import { accessEvent, newEvent } from '../storage/new-event.js';
import type { AccessDecisions } from './access-decisions.js';
import type { ModeRefusal } from './door-modes.js';
import type { DoorParts } from './door-parts.js';

export class RemoteAccess {
  constructor(
    private readonly p: DoorParts,
    private readonly access: AccessDecisions,
  ) {}

  /** A remote unlock (MQTT, API): `source` names who asked; the duration is capped by max_unlock_ms. Refused in lockdown. */
  unlock(source: string, durationMs?: number): ModeRefusal {
    const door = this.p.deps.door;
    if (this.p.modes.lockdown.card) return 'the door is locked down: end the lockdown first';
    const ms = Math.min(durationMs ?? door.unlock_ms, door.max_unlock_ms);
    this.p.relay.unlock(ms);
    this.p.annunciator.show('granted', ms);
    this.p.emit('remote_unlock', `${door.name} unlocked remotely (${source})`, { source, detail: { duration_ms: ms } });
    return null;
  }

  lock(source: string): void {
    this.p.relay.lock();
    this.p.modes.lockNow();
    this.p.emit('remote_lock', `${this.p.deps.door.name} locked remotely (${source})`, { source });
  }

  /**
   * A remote admission of a named person (DoorFlow's admit_person): the same decision as a keypad entry, with the
   * person's own facts (storage/access-repo.ts personFacts); unlocks when granted. Null facts: no such person.
   */
  admitPerson(facts: AccessFacts | null, source: string): Decision {
    const decision = this.access.decideNow('Remote', facts, false);
    if (decision.granted) this.access.grant('Remote', facts!, decision.emergency === true, source);
    else this.access.deny('Remote', facts, decision.reason, { source });
    return decision;
  }

  /**
   * A remote unlock that carries a PIN (mqtt.homeassistant.require_code): it opens only for a person whose PIN it is
   * and who may pass this door now (the door's credential mode aside: the PIN proves who asks), and the event names
   * them. A wrong PIN counts against this keypad's lockout as one typed here does, so a remote client gets no extra
   * guesses, and during a lockout no PIN is even looked up. Every refusal resolves only once stored (a crash cannot
   * hand out fresh guesses) and looks alike to the caller, so neither the answer nor its timing tells a wrong PIN
   * from a right one refused for its schedule.
   */
  async unlockWithPin(source: string, pin: string, durationMs?: number): Promise<{ granted: boolean; lockedOut: boolean }> {
    const { deps, keypadGuard } = this.p;
    const door = deps.door;
    const lockedOut = keypadGuard.lockedOut;
    const found = lockedOut || !doorAcceptsPin(pin, deps.pinRules) ? { facts: null } : this.access.find('PIN', pin);
    const facts = found.facts;
    const decision = found.failed ? ({ granted: false, reason: 'storage_error' } as const) : this.access.decideNow('PIN', facts, lockedOut, 'pin');
    if (decision.granted) {
      const ms = Math.min(durationMs ?? door.unlock_ms, door.max_unlock_ms);
      this.p.relay.unlock(ms);
      this.p.annunciator.show('granted', ms);
      deps.events.record(
        newEvent(
          'remote_unlock',
          {
            door_id: door.id,
            event_label: `${door.name} unlocked remotely (${source}) with the PIN of ${facts!.person.name}`,
            person_id: facts!.person.id,
            person_name: facts!.person.name,
            credential_id: facts!.credential.id,
            credential_type: 'PIN',
            source,
            detail: { duration_ms: ms },
          },
          this.p.moment(),
        ),
      );
      return { granted: true, lockedOut: false };
    }
    const reason = decision.reason;
    if (reason === 'unknown_credential' || reason === 'locked_out' || reason === 'storage_error') {
      keypadGuard.failure();
      this.p.watchExpiry();
    }
    deps.events.record(
      accessEvent(
        'access_denied',
        denyCode('PIN', reason),
        {
          door_id: door.id,
          event_label: `${denyLabel(facts?.person.name ?? null, 'PIN', reason)} (remote unlock, ${source})`,
          person_id: facts?.person.id ?? null,
          person_name: facts?.person.name ?? null,
          credential_id: facts?.credential.id ?? null,
          credential_type: 'PIN',
          reason,
          source,
        },
        this.p.moment(),
      ),
    );
    if (keypadGuard.lockedOut) this.p.annunciator.show('locked_out', keypadGuard.remainingMs);
    const stored = deps.events.whenStored();
    this.p.settleAfter(stored);
    await stored;
    return { granted: false, lockedOut: keypadGuard.lockedOut };
  }
}
