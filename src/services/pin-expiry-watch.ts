/**
 * pin_expiring (issue 20): at start and then hourly, one pin_expiring event for each enabled PIN that has entered a
 * door's warning window (core/pin-expiry.ts), so a webhook or MQTT automation can remind the person. Off the input
 * path: the check reads a bounded batch through an index, then yields to the event loop (setImmediate) before the
 * next, so a key press waits for at most one batch (well under 1 ms, with 100,000 PINs in the window too). The events
 * go to the event writer like any other; the warned marker is stored in each event's own commit, so a restart never
 * warns twice, and a PIN handed over but not stored yet is remembered here until it is.
 */
import { expiresAtMs, expiryWindows, type ExpiryDoor } from '../core/pin-expiry.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Clock } from '../drivers/clock.js';
import type { Logger } from '../log.js';
import type { Db } from '../storage/database.js';
import type { EventSink } from '../storage/event-writer.js';
import { newEvent } from '../storage/new-event.js';
import { PinExpiryRepo, type AgingCursor } from '../storage/pin-expiry-repo.js';
import type { Service } from './service.js';

const HOUR_MS = 3_600_000;
/** PINs read (and warned about) per step: each new warning builds an event (~15 µs), so a step stays well under 1 ms; then the event loop runs. */
export const PIN_EXPIRY_BATCH = 25;

export interface PinExpiryRun {
  warned: number;
  batches: number;
  /** The longest synchronous step (ms): what a key press could have waited for (the scheduler's delays included). */
  longestStepMs: number;
  /** The median step (ms): what a step costs. */
  medianStepMs: number;
}

export class PinExpiryWatch implements Service {
  readonly name = 'PIN expiry watch';
  private timer?: NodeJS.Timeout;
  private running: Promise<PinExpiryRun> | null = null;
  private stopped = false;
  private repo?: { db: Db; repo: PinExpiryRepo };
  /** `id@created_at` of the PINs warned by this process: the event may not be stored (marked) yet. */
  private readonly handedOver = new Set<string>();
  lastRun: PinExpiryRun | null = null;

  constructor(
    private readonly doors: readonly ExpiryDoor[],
    /** The database the doors read (it changes when the real file is opened again after a copy in memory). */
    private readonly db: () => Db | undefined,
    private readonly events: EventSink,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly everyMs = HOUR_MS,
  ) {}

  start(): void {
    if (!this.doors.some((d) => d.max_pin_age_days !== undefined)) return;
    void this.check();
    this.timer = setInterval(() => void this.check(), this.everyMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One pass over every window; a pass still running is not started twice. */
  check(): Promise<PinExpiryRun> {
    this.running ??= this.pass()
      .catch((err: unknown) => {
        this.log.error(`PIN expiry check failed: ${(err as Error).message}; it runs again in an hour`);
        return { warned: 0, batches: 0, longestStepMs: 0, medianStepMs: 0 };
      })
      .then((run) => {
        this.running = null;
        this.lastRun = run;
        return run;
      });
    return this.running;
  }

  private async pass(): Promise<PinExpiryRun> {
    const steps: number[] = [];
    const run: PinExpiryRun = { warned: 0, batches: 0, longestStepMs: 0, medianStepMs: 0 };
    await this.windows(run, steps);
    steps.sort((a, b) => a - b);
    run.batches = steps.length;
    run.longestStepMs = steps.at(-1) ?? 0;
    run.medianStepMs = steps[Math.floor(steps.length / 2)] ?? 0;
    return run;
  }

  private async windows(run: PinExpiryRun, steps: number[]): Promise<void> {
    // A clock not yet set (a Pi without an RTC at boot) would put every PIN in or out of its window wrongly.
    if (!this.clock.trusted()) return;
    const nowMs = this.clock.wallMs();
    for (const w of expiryWindows(this.doors, nowMs)) {
      const until = toIsoSeconds(w.createdUntilMs);
      // Made after createdAfterMs: from the next second (stored times are whole seconds).
      let cursor: AgingCursor = { created_at: toIsoSeconds(w.createdAfterMs + 1000), id: '' };
      for (;;) {
        if (this.stopped) return;
        const started = performance.now();
        const db = this.db();
        if (!db) return;
        if (this.repo?.db !== db) this.repo = { db, repo: new PinExpiryRepo(db) };
        const pins = this.repo.repo.aging(until, cursor, PIN_EXPIRY_BATCH);
        for (const pin of pins) {
          const key = `${pin.id}@${pin.created_at}`;
          if (pin.warned === 1 || this.handedOver.has(key)) continue;
          this.handedOver.add(key);
          const expiresAt = toIsoSeconds(expiresAtMs(Date.parse(pin.created_at), w.ageDays));
          this.events.record(
            newEvent(
              'pin_expiring',
              {
                door_id: null,
                event_label: `PIN ${pin.id} of person ${pin.person_id} expires ${expiresAt} at door${w.doorIds.length === 1 ? '' : 's'} ${w.doorIds.join(', ')}`,
                person_id: pin.person_id,
                credential_id: pin.id,
                credential_type: 'PIN',
                detail: { credential_id: pin.id, person_id: pin.person_id, expires_at: expiresAt, door_ids: w.doorIds },
              },
              { wallMs: this.clock.wallMs(), trusted: true },
            ),
          );
          run.warned++;
        }
        steps.push(performance.now() - started);
        if (pins.length < PIN_EXPIRY_BATCH) break;
        cursor = { created_at: pins.at(-1)!.created_at, id: pins.at(-1)!.id };
        await new Promise((r) => setImmediate(r));
      }
    }
  }
}
