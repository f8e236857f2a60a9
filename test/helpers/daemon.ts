/** A real `keypadd run --sim` child process on a scratch data dir, driven with the real CLI. */
import type { ChildProcess } from 'node:child_process';
import { inspect } from 'node:util';
import { Cli } from './cli.js';
import { scratchDir } from './scratch.js';

export interface DoorStatusJson {
  id: number;
  relay: 'locked' | 'unlocked';
  unlock_count: number;
  led: string;
  buzzer: string;
  door: string;
  lockout: { active: boolean; until: string | null; level: number; failures_last_hour: number };
  card_backoff: { active: boolean; until: string | null; level: number; failures_last_hour: number } | null;
  /** What each entry of a `sim key`/`sim card` came to. */
  outcomes?: { credential_type: string; granted: boolean; reason: string | null; person_name: string | null }[];
}

export class SimDaemon {
  proc?: ChildProcess;
  stdout = '';
  stderr = '';

  constructor(readonly cli: Cli) {}

  /** Arguments after `run --sim`: `--demo` makes the demo person on a fresh data dir (tests read its PIN). */
  runArgs = ['--demo'];

  /** Starts the daemon and waits until it says it is running. */
  async start(): Promise<void> {
    const proc = this.cli.spawn('run', '--sim', ...this.runArgs);
    this.proc = proc;
    this.stdout = '';
    this.stderr = '';
    proc.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`daemon did not start: ${this.stderr}`)), 15_000);
      const check = () => {
        if (this.stderr.includes(' running ')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stderr!.on('data', check);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`daemon exited ${code}: ${this.stderr}`));
      });
    });
  }

  /** SIGTERM (clean stop) or SIGKILL (power cut); resolves when the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return Promise.resolve(proc?.exitCode ?? null);
    return new Promise((resolve) => {
      proc.once('exit', (code) => resolve(code));
      proc.kill(signal);
    });
  }

  key(keys: string): DoorStatusJson {
    return this.cli.json<DoorStatusJson>('sim', 'key', keys);
  }

  status(): DoorStatusJson {
    return this.cli.json<{ doors: DoorStatusJson[] }>('sim', 'status').doors[0]!;
  }

  /** The demo person's PIN printed at first start. */
  demoPin(): string {
    const m = /with PIN (\d+)/.exec(this.stdout);
    if (!m) throw new Error(`no demo PIN in: ${this.stdout}`);
    return m[1]!;
  }
}

/** A scratch data dir with a config file, and a daemon for it (not started). */
export function simDoor(yaml = '', cleanups: (() => void)[]): SimDaemon {
  const d = scratchDir('keypadd-sim-');
  const daemon = new SimDaemon(new Cli(d.dir, yaml));
  cleanups.push(() => {
    void daemon.stop('SIGKILL');
    d.remove();
  });
  return daemon;
}

/**
 * Polls until `check` passes and returns the value that passed (events become durable within one commit, not
 * instantly). On timeout it throws, saying what it last saw: a wait that cannot fail would hide the defect it waits for.
 */
export async function eventually<T>(read: () => T | Promise<T>, check: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await read();
    if (check(v)) return v;
    if (Date.now() > end) throw new Error(`eventually: not true after ${timeoutMs} ms; last saw ${describe(v)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function describe(v: unknown): string {
  const text = inspect(v, { depth: 4, maxArrayLength: 20, breakLength: Infinity });
  return text.length > 2000 ? `${text.slice(0, 1000)} ... ${text.slice(-1000)}` : text;
}
