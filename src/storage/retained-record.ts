/**
 * The retained MQTT topics this controller has published (discovery configs, door state and availability), kept in
 * `meta` so that a later start can empty those it no longer publishes: a door removed from the config, a changed node
 * id, Home Assistant switched off. A retained message nobody empties stays on the broker for ever.
 */
import type { Db } from './database.js';

const KEY = 'mqtt_retained_topics';

export class RetainedRecord {
  constructor(private readonly db: Db) {}

  /** The topics recorded (none before the first save). */
  topics(): string[] {
    const row = this.db.prepare(`SELECT value FROM meta WHERE key = ?`).get(KEY) as { value: string } | undefined;
    if (!row) return [];
    try {
      const list = JSON.parse(row.value) as unknown;
      return Array.isArray(list) ? list.filter((t): t is string => typeof t === 'string') : [];
    } catch {
      return [];
    }
  }

  save(topics: readonly string[]): void {
    this.db
      .prepare(`INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run(KEY, JSON.stringify([...new Set(topics)].sort()));
  }
}
