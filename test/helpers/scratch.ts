/** A scratch data directory with a real SQLite file, and an admin context over it with a settable clock. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AdminContext } from '../../src/application/context.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { openStore } from '../../src/storage/store.js';

export function scratchDir(prefix = 'keypadd-test-'): { dir: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Scratch {
  dir: string;
  ctx: AdminContext;
  config: Config;
  /** Moves the clock used by the admin operations. */
  setNow: (iso: string) => void;
  close: () => void;
}

/** `settings` is raw configuration, as it would be written in the YAML file. */
export function openScratch(settings: Record<string, unknown> = {}, now = '2026-01-15T12:00:00Z'): Scratch {
  const { dir, remove } = scratchDir();
  const config = configSchema.parse({ site: { time_zone: 'Europe/London' }, ...settings, data_dir: dir });
  const store = openStore(dir, {});
  let nowMs = Date.parse(now);
  return {
    dir,
    config,
    ctx: { store, config, now: () => nowMs },
    setNow: (iso) => {
      nowMs = Date.parse(iso);
    },
    close: () => {
      store.close();
      remove();
    },
  };
}
