/**
 * Suspicious access (core/anomaly-rules.ts) judged from durable events, on the bus, after the door has decided: the
 * decision path gains nothing, not even a query. A rule's finding is recorded as an `access_anomaly` alarm event,
 * which then goes out as every event does (logged at warning, MQTT and webhooks from the outbox). Contract: start()
 * reads the last `days` days of grants once, a page per turn of the event loop (what is recorded meanwhile waits and
 * is judged after it); after that a grant costs O(days) time in a bounded, compact store (core/grant-hours.ts), a wrong PIN O(burst), and only a no_reservation
 * refusal of a PIN reads storage (that person's reservation windows). No PIN is ever in it: the rules never see one.
 */
import { anomalyPolicy, type AnomaliesConfig } from '../config/anomaly-schema.js';
import {
  afterWindow,
  countsTowardBurst,
  GrantHours,
  mayBeAfterWindow,
  WrongPinBursts,
  type AnomalyFinding,
  type AnomalyPolicy,
} from '../core/anomaly-rules.js';
import { toIsoSeconds } from '../core/site-time.js';
import type { Logger } from '../log.js';
import { AnomalyRepo } from '../storage/anomaly-repo.js';
import type { Db } from '../storage/database.js';
import type { EventRow } from '../storage/event-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import { newEvent, type EventFields } from '../storage/new-event.js';
import type { EventBus } from './bus.js';
import type { Service } from './service.js';

const DAY_MS = 86_400_000;
/** Grants read per turn of the event loop at start: a page takes about a millisecond, so the doors barely notice. */
const HISTORY_PAGE = 500;

export interface AnomalyWatchOptions {
  anomalies: AnomaliesConfig;
  zone: string;
  doors: readonly { id: number; name: string }[];
  /** The database as it is now (the daemon may reopen it after deciding from a copy). */
  db: () => Db | undefined;
  bus: EventBus;
  events: EventSink;
  log: Logger;
  /** Now, for the start-up read's window. */
  nowMs: () => number;
}

export class AnomalyWatch implements Service {
  readonly name = 'anomaly watch';
  private off?: () => void;
  private readonly policy: AnomalyPolicy;
  private readonly hours: GrantHours;
  private readonly bursts: WrongPinBursts;
  /** Events recorded while the history is read (undefined once it is read). */
  private waiting?: EventRow[];
  /** The newest event id when the history was read: events up to it are history, not judged again. */
  private historyUpTo = 0;
  private loading?: NodeJS.Immediate;
  private stopped = false;

  constructor(private readonly options: AnomalyWatchOptions) {
    this.policy = anomalyPolicy(options.anomalies);
    this.hours = new GrantHours(this.policy.newHour, options.zone);
    this.bursts = new WrongPinBursts(this.policy.wrongPinBurst);
  }

  start(): void {
    const { policy } = this;
    if (!policy.newHour.enabled && !policy.afterWindow.enabled && !policy.wrongPinBurst.enabled) return;
    // Subscribed first: what is recorded while the history is read waits, and is judged after it.
    this.off = this.options.bus.on('event.recorded', (row) => (this.waiting ? this.waiting.push(row) : this.judge(row)));
    const db = this.options.db();
    if (!policy.newHour.enabled || !db) return;
    this.waiting = [];
    const repo = new AnomalyRepo(db);
    const since = toIsoSeconds(this.options.nowMs() - policy.newHour.days * DAY_MS);
    try {
      this.historyUpTo = repo.newestId();
    } catch (err) {
      this.options.log.warn(`anomaly watch: grant history not read (${(err as Error).message}); new_hour learns from now on`);
      this.waiting = undefined;
      return;
    }
    let from = { createdAt: since, id: 0 };
    let grants = 0;
    const page = () => {
      this.loading = undefined;
      if (this.stopped) return;
      try {
        const rows = repo.grantsPage(from, this.historyUpTo, HISTORY_PAGE);
        for (const g of rows) this.hours.note(g.personId, g.atMs);
        grants += rows.length;
        if (rows.length === HISTORY_PAGE) {
          from = rows.at(-1)!;
          this.loading = setImmediate(page);
          return;
        }
        this.options.log.info(`anomaly watch: ${grants} grant(s) of the last ${policy.newHour.days} days read for new_hour`);
      } catch (err) {
        // Without its history new_hour learns from now on (min_history keeps it quiet meanwhile); the other rules run.
        this.options.log.warn(`anomaly watch: grant history not read (${(err as Error).message}); new_hour learns from now on`);
      }
      const waiting = this.waiting ?? [];
      this.waiting = undefined;
      for (const row of waiting) this.judge(row);
    };
    page();
  }

  stop(): void {
    this.stopped = true;
    if (this.loading) clearImmediate(this.loading);
    this.off?.();
  }

  private judge(row: EventRow): void {
    if (row.id <= this.historyUpTo || row.door_id === null || (row.event_type !== 'access_granted' && row.event_type !== 'access_denied')) return;
    const atMs = Date.parse(row.created_at);
    if (!Number.isFinite(atMs)) return;
    if (row.event_type === 'access_granted') {
      // An hour read off a clock that is not trusted says nothing about the person: neither judged nor learnt.
      if (row.person_id === null || row.time_trusted === 0) return;
      const found = this.hours.grant(row.person_id, atMs);
      if (found) this.raise(row, found);
      return;
    }
    const denial = { credentialType: row.credential_type, reason: row.reason, atMs };
    if (countsTowardBurst(denial)) {
      const found = this.bursts.wrongPin(row.door_id, atMs);
      if (found) this.raise(row, found);
      return;
    }
    if (row.person_id === null || !mayBeAfterWindow(this.policy.afterWindow, denial)) return;
    const db = this.options.db();
    if (!db) return;
    let found: AnomalyFinding | null = null;
    try {
      found = afterWindow(this.policy.afterWindow, denial, new AnomalyRepo(db).reservationWindows(row.person_id, row.created_at));
    } catch (err) {
      this.options.log.warn(`anomaly watch: reservation windows of person ${row.person_id} not read: ${(err as Error).message}`);
    }
    if (found) this.raise(row, found);
  }

  private raise(row: EventRow, found: AnomalyFinding): void {
    const door = this.options.doors.find((d) => d.id === row.door_id)?.name ?? `door ${row.door_id}`;
    const person = found.rule === 'wrong_pin_burst' ? null : row;
    const fields: EventFields = {
      door_id: row.door_id,
      event_label: `${door}: suspicious access: ${describe(found, person?.person_name ?? null, this.options)}`,
      person_id: person?.person_id ?? null,
      person_name: person?.person_name ?? null,
      credential_id: person?.credential_id ?? null,
      credential_type: row.credential_type,
      detail: { ...detail(found, this.policy), event_id: row.id },
    };
    const trusted = row.time_trusted === null ? null : row.time_trusted === 1;
    this.options.events.record(newEvent('access_anomaly', fields, { wallMs: Date.parse(row.created_at), trusted }));
  }
}

/** The event's detail: the rule and what it found; never a PIN (the rules never see one). */
function detail(found: AnomalyFinding, policy: AnomalyPolicy): Record<string, unknown> {
  switch (found.rule) {
    case 'new_hour':
      return { rule: found.rule, hour: found.hour, hours_seen: found.hoursSeen, grants_in_window: found.grantsInWindow, days: policy.newHour.days };
    case 'after_window':
      return { rule: found.rule, window_ended_at: toIsoSeconds(found.windowEndedMs) };
    case 'wrong_pin_burst':
      return { rule: found.rule, doors: found.doors, count: found.count, within_s: policy.wrongPinBurst.withinMs / 1000 };
  }
}

function describe(found: AnomalyFinding, who: string | null, options: AnomalyWatchOptions): string {
  const name = who ?? 'someone';
  const hh = (h: number) => `${String(h).padStart(2, '0')}:00`;
  switch (found.rule) {
    case 'new_hour':
      return `${name} let in at ${hh(found.hour)}, an hour not used in the last ${options.anomalies.new_hour.days} days`;
    case 'after_window':
      return `${name}'s PIN tried after their reservation ended`;
    case 'wrong_pin_burst': {
      const names = found.doors.map((id) => options.doors.find((d) => d.id === id)?.name ?? `door ${id}`);
      return `${found.count} wrong PINs at ${names.join(', ')} within ${options.anomalies.wrong_pin_burst.within_s} s`;
    }
  }
}
