/**
 * An outbox is the event table itself, read by one consumer (storage/outbox-drain.ts): events with an id above its
 * cursor are not yet confirmed delivered. Each consumer keeps its cursor in `meta` under a key of its own.
 */
import type { Db } from './database.js';
import type { EventRow } from './event-repo.js';

/** MQTT's cursor, under the key it has always had. */
export const MQTT_OUTBOX = 'mqtt_published_through';

export class OutboxRepo {
  private readonly afterStmt;

  constructor(
    private readonly db: Db,
    private readonly key: string,
  ) {
    this.afterStmt = db.prepare(`SELECT * FROM events WHERE id > ? ORDER BY id LIMIT ?`);
  }

  cursor(): number {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(this.key) as { value: string } | undefined;
    return row ? Number(row.value) : 0;
  }

  setCursor(id: number): void {
    this.db.prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(this.key, String(id));
  }

  after(id: number, limit: number): EventRow[] {
    return this.afterStmt.all(id, limit) as EventRow[];
  }

  backlog(cursor = this.cursor()): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM events WHERE id > ?`).get(cursor) as { n: number }).n;
  }
}
