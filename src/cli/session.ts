/**
 * What a CLI command works on, opened on first use so that `--help` and `config describe` need no config or
 * database: the configuration (from --config/--data-dir or the environment) and the store.
 */
import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { AdminContext } from '../admin/context.js';
import { openStore, type Store } from '../storage/store.js';

export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

export class Session {
  private loaded?: LoadedConfig;
  private store?: Store;

  constructor(readonly opts: GlobalOptions) {}

  static of(cmd: Command): Session {
    return new Session(cmd.optsWithGlobals<GlobalOptions>());
  }

  get json(): boolean {
    return this.opts.json === true;
  }

  config(): LoadedConfig {
    this.loaded ??= loadConfig({ configPath: this.opts.config, dataDir: this.opts.dataDir });
    return this.loaded;
  }

  admin(): AdminContext {
    const { config } = this.config();
    this.store ??= openStore(config.data_dir);
    return { store: this.store, config, now: Date.now };
  }

  close(): void {
    this.store?.close();
  }
}

/** Runs a command's body with a session that is closed afterwards, whatever happens. */
export function withSession<A extends unknown[]>(body: (s: Session, ...args: A) => void): (...args: A) => void {
  return (...args: A) => {
    const cmd = args[args.length - 1] as Command;
    const session = Session.of(cmd);
    try {
      body(session, ...args);
    } finally {
      session.close();
    }
  };
}
