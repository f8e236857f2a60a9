/**
 * What a CLI command works on, opened on first use so that `--help` and `config describe` need no config or
 * database: the configuration (from --config/--data-dir or the environment) and the store.
 */
import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { AdminContext } from '../application/context.js';
import { openStore, type Store } from '../storage/store.js';
import { dataDirWritable } from '../storage/database.js';

/** The folder holding package.json, from src/cli or dist/cli alike. */
export const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

export class Session {
  private loaded?: LoadedConfig;
  private store?: Store;
  /** True when no config and no data dir were given, in a git checkout: the data is the checkout's own ./var. */
  usesCheckoutDataDir = false;

  constructor(readonly opts: GlobalOptions) {}

  static of(cmd: Command): Session {
    return new Session(cmd.optsWithGlobals<GlobalOptions>());
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  config(): LoadedConfig {
    if (!this.loaded) {
      const loaded = loadConfig({ configPath: this.opts.config, dataDir: this.opts.dataDir });
      // Run from a git checkout with no config and no data dir named: keep the data beside the code (./var), so
      // `npm start` and `keypadd sim ...` need no setup and never touch /var/lib.
      if (loaded.source === 'built-in defaults' && !this.opts.dataDir && !process.env.KEYPADD_DATA_DIR && existsSync(join(PACKAGE_ROOT, '.git'))) {
        loaded.config.data_dir = join(PACKAGE_ROOT, 'var');
        loaded.origins.data_dir = 'the checkout (./var: run from git with no config)';
        this.usesCheckoutDataDir = true;
      }
      this.loaded = loaded;
    }
    return this.loaded;
  }

  admin(): AdminContext {
    const { config } = this.config();
    // On a data dir that went read-only, reading commands still work; a change is refused by SQLite (SQLITE_READONLY).
    const readonly = !dataDirWritable(config.data_dir).writable;
    this.store ??= openStore(config.data_dir, process.env, config.pin_key_file, { pinStorage: config.pin_policy.storage, readonly });
    return { store: this.store, config, now: Date.now };
  }

  close(): void {
    this.store?.close();
  }
}

/** Runs a command's body with a session that is closed afterwards, whatever happens. */
export function withSession<A extends unknown[]>(body: (s: Session, ...args: A) => void | Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const session = Session.of(cmd);
    try {
      await body(session, ...args);
    } finally {
      session.close();
    }
  };
}
