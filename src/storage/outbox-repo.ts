/**
 * The MQTT outbox is the event table itself: events with an id above the cursor are not yet confirmed published.
 * The cursor only moves over a contiguous run of acknowledged events, so a crash repeats events, never skips one.
 */
import type { Db } from './database.js';
import type { EventRow } from './event-repo.js';

const CURSOR_KEY = 'mqtt_published_through';

export class OutboxRepo {
  private readonly afterStmt;

  constructor(private readonly db: Db) {
    this.afterStmt = db.prepare(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`);
  }

  cursor(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(CURSOR_KEY) as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  setCursor(id: number): void {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(CURSOR_KEY, String(id));
  }

  after(id: number, limit: number): EventRow[] {
    return this.afterStmt.all(id, limit) as EventRow[];
  }

  backlog(cursor = this.cursor()): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM events WHERE id > ?`).get(cursor) as { n: number }).n;
  }
}
