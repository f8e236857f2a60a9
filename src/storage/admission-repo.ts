/** Admission requests (DoorFlow's admit and admit_person): asked by the API, answered by the door. */
import type { Db } from './database.js';

export type AdmissionStatus = 'pending' | 'admitted' | 'denied' | 'offline';

export interface AdmissionRow {
  id: number;
  channel_id: number;
  person_id: number | null;
  status: AdmissionStatus;
  reason: string | null;
  source: string;
  requested_at: string;
  completed_at: string | null;
}

export class AdmissionRepo {
  constructor(private readonly db: Db) {}

  create(channelId: number, personId: number | null, source: string, now: string): number {
    return Number(
      this.db
        .prepare(`INSERT INTO admission_requests (channel_id, person_id, status, source, requested_at) VALUES (?, ?, 'pending', ?, ?)`)
        .run(channelId, personId, source, now).lastInsertRowid,
    );
  }

  complete(id: number, status: Exclude<AdmissionStatus, 'pending'>, reason: string | null, now: string): void {
    this.db.prepare(`UPDATE admission_requests SET status = ?, reason = ?, completed_at = ? WHERE id = ?`).run(status, reason, now, id);
  }

  get(id: number): AdmissionRow | undefined {
    return this.db.prepare(`SELECT * FROM admission_requests WHERE id = ?`).get(id) as AdmissionRow | undefined;
  }
}
