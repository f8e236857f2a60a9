/**
 * One consumer's way through the event table (the outbox): MQTT now, webhooks next. Events go out in id order (so in
 * each door's sequence order); the cursor moves only over a contiguous run of acknowledged events, so a crash repeats
 * events and never skips one. A transport whose callbacks may never fire (a connection that dropped) starts a new
 * generation: what was in flight is forgotten and sent again from the cursor, and late answers of the old generation
 * are ignored. Each drain has its own cursor, under its own key; retention pruning keeps what any of them still needs.
 */
import type { Db } from './database.js';
import type { EventRow } from './event-repo.js';
import { OutboxRepo } from './outbox-repo.js';

export interface Sent {
  row: EventRow;
  /** The generation it was sent in: hand it back with ack() or fail(). */
  generation: number;
}

export class OutboxDrain {
  private readonly repo: OutboxRepo;
  private saved: number;
  private sent: number[] = [];
  private acked = new Set<number>();
  private nextAfter: number;
  private inFlight = 0;
  private generationNo = 0;
  /** The last event acknowledged with every one before it: where a restart resumes. */
  cursor: number;

  constructor(
    db: Db,
    /** The meta key the cursor is kept under ("mqtt_published_through"). */
    readonly key: string,
    /** How many events may be in flight at once. */
    private readonly window: number,
  ) {
    this.repo = new OutboxRepo(db, key);
    this.cursor = this.saved = this.nextAfter = this.repo.cursor();
  }

  get inflight(): number {
    return this.inFlight;
  }

  get generation(): number {
    return this.generationNo;
  }

  /** Events after the cursor not yet in flight, up to the window; each counts as in flight until ack() or fail(). */
  next(): Sent[] {
    const room = this.window - this.inFlight;
    if (room <= 0) return [];
    const rows = this.repo.after(this.nextAfter, room);
    for (const row of rows) {
      this.sent.push(row.id);
      this.nextAfter = row.id;
      this.inFlight++;
    }
    return rows.map((row) => ({ row, generation: this.generationNo }));
  }

  /** The transport took it. Returns whether the cursor moved; an answer from an old generation changes nothing. */
  ack(id: number, generation: number): boolean {
    if (generation !== this.generationNo) return false;
    this.inFlight--;
    this.acked.add(id);
    let moved = false;
    while (this.sent.length > 0 && this.acked.has(this.sent[0]!)) {
      this.cursor = this.sent.shift()!;
      this.acked.delete(this.cursor);
      moved = true;
    }
    return moved;
  }

  /** The transport refused it: it stays after the cursor, and goes again after the next reset(). */
  fail(_id: number, generation: number): void {
    if (generation === this.generationNo) this.inFlight--;
  }

  /** A new generation: forget what is in flight, and send again from the cursor. */
  reset(): void {
    this.generationNo++;
    this.sent = [];
    this.acked = new Set();
    this.inFlight = 0;
    this.nextAfter = this.cursor;
  }

  /** Events after the cursor. */
  backlog(): number {
    return this.repo.backlog(this.cursor);
  }

  /** Keeps the cursor (when it moved since the last save); a lost save only repeats events. */
  save(): void {
    if (this.cursor === this.saved) return;
    this.repo.setCursor(this.cursor);
    this.saved = this.cursor;
  }
}
