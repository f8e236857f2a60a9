/** Runs the real `bin/keypadd` as a child process on a scratch data directory, with no KEYPADD_ leaking in. */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'bin', 'keypadd');

export function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYPADD_') && k !== 'CREDENTIALS_DIRECTORY') env[k] = v;
  return { ...env, ...extra };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A CLI bound to one data dir; its config file (empty unless written) keeps /etc/keypadd out of the test. */
export class Cli {
  readonly configFile: string;

  constructor(
    readonly dataDir: string,
    yaml = '',
  ) {
    this.configFile = join(dataDir, 'config.yaml');
    writeFileSync(this.configFile, yaml);
  }

  run(...args: string[]): CliResult {
    return this.runWithInput('', ...args);
  }

  runWithInput(input: string, ...args: string[]): CliResult {
    const r = spawnSync(process.execPath, [BIN, '--data-dir', this.dataDir, ...args], {
      env: cleanEnv({ KEYPADD_CONFIG: this.configFile }),
      encoding: 'utf8',
      input,
      maxBuffer: 256 * 1024 * 1024,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  /** Runs and parses --json output, failing loudly on a non-zero exit. */
  json<T = Record<string, unknown>>(...args: string[]): T {
    const r = this.run('--json', ...args);
    if (r.status !== 0) throw new Error(`keypadd ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  }

  /**
   * Like run(), without blocking this process: needed when the command talks to a server this test process serves
   * (a fake upstream), which spawnSync would starve.
   */
  runAsync(...args: string[]): Promise<CliResult> {
    const child = this.spawn(...args);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    return new Promise((resolve) => child.on('close', (status) => resolve({ status, stdout, stderr })));
  }

  /** Extra environment for spawned daemons (NOTIFY_SOCKET, WATCHDOG_USEC...). */
  extraEnv: Record<string, string> = {};

  spawn(...args: string[]): ChildProcess {
    return spawn(process.execPath, [BIN, '--data-dir', this.dataDir, ...args], {
      env: cleanEnv({ KEYPADD_CONFIG: this.configFile, ...this.extraEnv }),
    });
  }
}
