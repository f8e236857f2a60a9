/**
 * The door's own inputs: keys collected into a PIN, cards from the reader, and card-and-PIN pairing, each decided
 * and recorded through access-decisions.ts. Contract: onKey and onCard never wait on storage or the network (the
 * relay acts at once on a grant); a wrong guess counts against its input's guard before it is shown; stop() clears
 * the entry timer, after which no pending key entry expires.
 */
import { doorTimings } from '../config/policy.js';
import type { DenyReason } from '../core/decision.js';
import { KeyCollector, type Key } from '../core/key-collector.js';
import { duressTarget } from '../core/duress.js';
import { doorAcceptsPin } from '../core/pin-rules.js';
import type { AccessDecisions } from './access-decisions.js';
import type { DoorParts } from './door-parts.js';

export class EntryPath {
  private readonly collector: KeyCollector;
  private pendingCard: { personId: number; credentialId: string; until: number } | null = null;
  private entryTimer: NodeJS.Timeout | undefined;
  private failures = 0;

  constructor(
    private readonly p: DoorParts,
    private readonly access: AccessDecisions,
  ) {
    this.collector = new KeyCollector({
      maxLength: p.deps.pinRules.max_length,
      timeoutMs: doorTimings(p.deps.door).entryTimeoutMs,
      submitOnLength: p.deps.door.keypad.submit_on_length,
    });
  }

  /** Cards refused at this reader since start (DoorStatus.card_failures). */
  get cardFailures(): number {
    return this.failures;
  }

  stop(): void {
    clearTimeout(this.entryTimer);
  }

  onKey(key: Key): void {
    const mono = this.p.deps.clock.monoMs();
    const r = this.collector.press(key, mono);
    clearTimeout(this.entryTimer);
    const deadline = this.collector.deadline;
    if (deadline !== null) this.entryTimer = setTimeout(() => this.collector.expire(this.p.deps.clock.monoMs()), deadline - mono);
    if (r.kind === 'submit') this.onPin(r.pin);
    else if (r.kind === 'overflow') this.access.wrongPin(null, 'unknown_credential', { entry: 'too_long' });
  }

  private onPin(pin: string): void {
    const { access } = this;
    const mono = this.p.deps.clock.monoMs();
    const door = this.p.deps.door;
    if (door.mode === 'card') return access.deny('PIN', null, 'wrong_mode');
    const pending = this.pendingCard && this.pendingCard.until > mono ? this.pendingCard : null;
    if (door.mode === 'card_and_pin' && !pending) return access.deny('PIN', null, 'wrong_mode', { expected: 'card first' });
    const lockedOut = this.p.keypadGuard.lockedOut;
    // A locked-out keypad does not even look the PIN up; nor is a PIN outside this door's policy looked up.
    let found = lockedOut || !doorAcceptsPin(pin, this.p.deps.pinRules) ? { facts: null } : access.find('PIN', pin);
    if (found.failed) return access.wrongPin(null, 'storage_error');
    // A person's own duress PIN (pin add --duress) is decided as their PIN; otherwise, not anyone's PIN may be
    // someone's in its duress form. A real PIN always wins, so this is looked up second.
    const ownDuress = found.facts?.credential.duress === true;
    const target = found.facts === null && !lockedOut ? duressTarget(pin, this.p.deps.duress ?? 'off') : null;
    const underDuress = ownDuress || (target !== null && (found = access.find('PIN', target)).facts !== null);
    if (found.failed) return access.wrongPin(null, 'storage_error');
    const facts = found.facts;
    // Raised whatever the door then decides: the person is in danger even where their PIN is refused.
    if (underDuress) access.duress(facts!);
    const decision = access.decideNow('PIN', facts, lockedOut);
    if (decision.granted && pending && facts?.person.id !== pending.personId) {
      // Another person's valid PIN after this card: treated as a wrong PIN.
      return access.wrongPin(null, 'unknown_credential', { card_and_pin: 'mismatch' });
    }
    if (decision.granted) {
      this.pendingCard = null;
      // A grant leaves the lockout as it is: only time or an admin clears wrong PINs (core/lockout.ts).
      return access.grant(pending ? 'Card+PIN' : 'PIN', facts!, decision.emergency === true);
    }
    // Wrong PINs count toward the lockout (and, during one, toward the alarm); a right PIN refused for another
    // reason (schedule, validity...) is not a guess.
    // An unknown PIN refused by a lockdown is a guess too: else a lockdown would let emergency PINs be guessed freely.
    const guess = decision.reason === 'unknown_credential' || decision.reason === 'locked_out' || (decision.reason === 'lockdown' && !facts);
    if (guess) return access.wrongPin(facts, decision.reason);
    access.deny('PIN', facts, decision.reason);
  }

  onCard(cardNumber: string): void {
    const { access } = this;
    const readerGuard = this.p.readerGuard;
    const backedOff = readerGuard?.lockedOut === true;
    const found = backedOff ? { facts: null } : access.find('Card', cardNumber);
    const decision = found.failed ? ({ granted: false, reason: 'storage_error' } as const) : access.decideNow('Card', found.facts, false);
    const facts = found.facts;
    if (!decision.granted) {
      this.failures++;
      const reason: DenyReason = backedOff ? 'locked_out' : decision.reason;
      // The number is kept for enrolment (an unknown card) only; a matched card refused for its schedule or validity
      // belongs to someone, and the event names them instead.
      const detail = reason === 'unknown_credential' ? { card_number: cardNumber } : undefined;
      const guess = reason === 'unknown_credential' || reason === 'locked_out' || reason === 'storage_error' || (reason === 'lockdown' && !facts);
      if (guess && readerGuard) {
        readerGuard.failure();
        this.p.watchExpiry();
      }
      return access.deny('Card', facts, reason, detail, guess && readerGuard !== null);
    }
    if (this.p.deps.door.mode === 'card_and_pin') {
      const windowMs = doorTimings(this.p.deps.door).cardAndPinWindowMs;
      this.pendingCard = { personId: facts!.person.id, credentialId: facts!.credential.id, until: this.p.deps.clock.monoMs() + windowMs };
      this.p.annunciator.show('awaiting_pin', windowMs);
      return;
    }
    access.grant('Card', facts!, decision.emergency === true);
  }
}
