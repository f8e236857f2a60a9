/**
 * The spool: where events and lockout states go when the database will not take them (a full disk, a card that went
 * read-only, a stop under overload), so that they outlive the process until they can be stored. It lives outside the
 * data dir, in the unit's RuntimeDirectory= (a tmpfs that survives a restart, not a reboot), as JSON lines that are
 * only ever appended. Each writer (the event writer's worker, and the daemon's last-chance write at stop) has a file
 * of its own, so lines never interleave; replay merges them in event-uid order (uids sort by when events happened)
 * and a uid already stored is skipped, so a replay after a crash half-way through stores nothing twice.
 */
import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { PersistedLockout } from '../core/lockout.js';
import type { NewEvent } from './event-repo.js';

export type SpoolEntry = { type: 'event'; event: NewEvent } | { type: 'lockout'; key: number; state: PersistedLockout; now: string };

/** A spool file may grow to this (a runtime tmpfs is small); beyond, entries are refused and counted. */
export const MAX_SPOOL_BYTES = 64 * 1024 * 1024;

/** Where the unit's RuntimeDirectory=keypadd is, for a CLI that has no $RUNTIME_DIRECTORY of its own. */
export const INSTALLED_RUNTIME_DIR = '/run/keypadd';

/**
 * The runtime dir: `storage.runtime_dir` when set, else systemd's $RUNTIME_DIRECTORY, else /run/keypadd when it
 * exists (the admin CLI beside an installed service), else a folder under the temp dir named after the data dir (a
 * developer's `keypadd run --sim`). The daemon and the CLI work it out the same way, so they find each other there.
 */
export function runtimeDir(dataDir: string, configured: string | null, env: NodeJS.ProcessEnv = process.env): string {
  if (configured) return configured;
  if (env.RUNTIME_DIRECTORY) return env.RUNTIME_DIRECTORY.split(':')[0]!;
  if (existsSync(INSTALLED_RUNTIME_DIR)) return INSTALLED_RUNTIME_DIR;
  return join(tmpdir(), `keypadd-run-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16)}`);
}

export const spoolDir = (runtime: string) => join(runtime, 'spool');

/** One writer's spool file. Appends are synchronous and small; the directory is made on first use. */
export class SpoolFile {
  private size = -1;

  constructor(
    readonly dir: string,
    /** Which writer: "worker" or "main"; one file each. */
    readonly writer: string,
  ) {}

  get path(): string {
    return join(this.dir, `${this.writer}.jsonl`);
  }

  /** After the files were cleared: start counting the size again. */
  forget(): void {
    this.size = -1;
  }

  /** Appends the entries; throws (ENOSPC, EROFS, or the size cap) when they could not all be written. */
  append(entries: SpoolEntry[]): void {
    if (entries.length === 0) return;
    const text = entries.map((e) => JSON.stringify(e)).join('\n') + '\n';
    if (this.size < 0) this.size = fileSize(this.path);
    if (this.size + text.length > MAX_SPOOL_BYTES)
      throw Object.assign(new Error(`spool ${this.path} is full (${MAX_SPOOL_BYTES} bytes)`), { code: 'ENOSPC' });
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    appendFileSync(this.path, text, { mode: 0o600 });
    this.size += Buffer.byteLength(text);
  }
}

export interface SpoolContents {
  /** Every spooled event, once each, in the order they happened. */
  events: NewEvent[];
  /** The newest spooled lockout state per key. */
  lockouts: Map<number, { state: PersistedLockout; now: string }>;
  files: string[];
  /** Lines that could not be read (a line cut short by a crash mid-write). */
  damaged: number;
}

/** Everything spooled in `dir`, from every writer's file. */
export function readSpool(dir: string): SpoolContents {
  const out: SpoolContents = { events: [], lockouts: new Map(), files: [], damaged: 0 };
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.jsonl'));
  } catch {
    return out;
  }
  const byUid = new Map<string, NewEvent>();
  const lockoutOrder: { key: number; state: PersistedLockout; now: string; at: number }[] = [];
  for (const name of names.sort()) {
    const path = join(dir, name);
    out.files.push(path);
    const lines = readFileSync(path, 'utf8').split('\n');
    lines.forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const e = JSON.parse(line) as SpoolEntry;
        if (e.type === 'event' && typeof e.event?.uid === 'string') byUid.set(e.event.uid, e.event);
        else if (e.type === 'lockout') lockoutOrder.push({ ...e, at: i });
        else out.damaged++;
      } catch {
        out.damaged++;
      }
    });
  }
  out.events = [...byUid.values()].sort((a, b) => (a.uid! < b.uid! ? -1 : a.uid! > b.uid! ? 1 : 0));
  // The newest save per key wins: by its time, then by its place in the file.
  lockoutOrder.sort((a, b) => (a.now < b.now ? -1 : a.now > b.now ? 1 : a.at - b.at));
  for (const l of lockoutOrder) out.lockouts.set(l.key, { state: l.state, now: l.now });
  return out;
}

/**
 * Removes spool files once their contents are stored. A file is first renamed aside, so a crash during removal
 * leaves either the file (replayed again, duplicates skipped by uid) or nothing.
 */
export function clearSpool(files: string[]): void {
  for (const f of files) {
    try {
      const aside = `${f}.done`;
      renameSync(f, aside);
      unlinkSync(aside);
    } catch {
      // Already gone.
    }
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}
