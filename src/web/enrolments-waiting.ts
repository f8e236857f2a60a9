/**
 * The console's enrolments by tap that are waiting for a card, by an unguessable handle (the waiting panel polls
 * with it). One table per console server, made with it and carried in WebDeps, so two servers in one process (tests,
 * a restart of the worker's server) never see each other's. Few at once: one per admin at a door.
 */
import { randomBytes } from 'node:crypto';
import type { Enrolment } from '../application/card-enrolment.js';
import { httpError } from '../http/errors.js';

export type WaitingEnrolment = Enrolment & { user: string };

export class EnrolmentsWaiting {
  private readonly byHandle = new Map<string, WaitingEnrolment>();

  /** @param max how many may wait at once; one more is refused with 429. */
  constructor(private readonly max = 20) {}

  /** Keeps `enrolment` and answers its handle; refuses (429) when `max` are waiting already. */
  add(enrolment: WaitingEnrolment, nowMs: number): string {
    this.forget(nowMs);
    if (this.byHandle.size >= this.max)
      throw httpError(429, 'too_many_enrolments', `enrolment: ${this.max} are waiting already; try again in a minute`);
    const handle = randomBytes(16).toString('hex');
    this.byHandle.set(handle, enrolment);
    return handle;
  }

  get(handle: string): WaitingEnrolment | undefined {
    return this.byHandle.get(handle);
  }

  /** Ends the wait (the card came, or the time ran out and the panel said so). */
  delete(handle: string): void {
    this.byHandle.delete(handle);
  }

  /** Drops enrolments a minute past their deadline whose panel never asked again (a closed tab). */
  private forget(nowMs: number): void {
    for (const [handle, e] of this.byHandle) if (e.deadline_ms + 60_000 < nowMs) this.byHandle.delete(handle);
  }
}
