/** Messages between the daemon and the webhook worker. */
import type { NewEvent } from '../storage/event-repo.js';

/** One rule's delivery as status shows it. */
export interface RuleState {
  id: number;
  name: string;
  /** ok: caught up or delivering; retrying: its endpoint fails now; failing: for longer than a day (alarm raised). */
  state: 'ok' | 'retrying' | 'failing';
  backlog: number;
  parked: number;
  last_error: string | null;
  failing_since: string | null;
  next_retry_at: string | null;
}

export interface WebhookData {
  dataDir: string;
  doors: { id: number; name: string }[];
  version: string;
  /** The retry backoff: 1 s doubling to 5 min (tests shorten both). */
  retry: { firstMs: number; maxMs: number };
  /** Failing this long (a day) marks the rule failing, with an alarm. */
  failingAfterMs: number;
  /** One request's limit, connect to last byte. */
  timeoutMs: number;
}

export type ToWebhooks = { type: 'wake' } | { type: 'stop' };

export type FromWebhooks =
  | { type: 'log'; level: 'error' | 'warn' | 'info'; message: string }
  /** An alarm or notice for the event table (parked, failing, recovered): recorded by the daemon's writer. */
  | { type: 'event'; event: NewEvent }
  | { type: 'state'; rules: RuleState[] }
  | { type: 'stopped' };
