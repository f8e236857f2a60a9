/**
 * A real Mosquitto per test, on a free loopback port with its own config, that the test can kill and restart.
 * Persistence is on so that a consumer's session (clean: false) survives a restart, as it would in production.
 * Where mosquitto is not installed the MQTT groups skip with a notice, except under CI=true, where they fail.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { scratchDir } from './scratch.js';

/** Whether a command is on PATH. Only for helpers that print their own NOTICE and fail under CI (requireTool does both). */
export function haveCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The Debian package that provides each tool a test group needs. */
const PACKAGE: Record<string, string> = {
  mosquitto: 'mosquitto',
  mosquitto_passwd: 'mosquitto',
  mosquitto_sub: 'mosquitto-clients',
  openssl: 'openssl',
  socat: 'socat',
  python3: 'python3',
  'systemd-analyze': 'systemd',
  'systemd-notify': 'systemd',
  'chromium-headless-shell': 'chromium-headless-shell',
};

/**
 * Whether every tool is installed. Where one is missing the group is skipped with a visible NOTICE line; under
 * CI=true that is an error instead, so CI never passes a group it did not run.
 */
export function requireTool(cmd: string | string[], group: string): boolean {
  const missing = (Array.isArray(cmd) ? cmd : [cmd]).filter((c) => !haveCommand(c));
  if (missing.length === 0) return true;
  const install = [...new Set(missing.map((c) => PACKAGE[c] ?? c))].join(' ');
  if (process.env.CI === 'true')
    throw new Error(`${missing.join(', ')} not installed, and under CI=true the ${group} tests may not be skipped (apt-get install ${install})`);
  console.warn(`NOTICE: ${missing.join(', ')} not installed: skipping the ${group} tests (apt-get install ${install})`);
  return false;
}

/** For a test that needs root: true as root; otherwise a NOTICE says what is skipped (and CI, which runs as root, fails). */
export function requireRoot(test: string, why: string): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === 'true') throw new Error(`under CI=true "${test}" must run, and it needs root (${why})`);
  console.warn(`NOTICE: not root: skipping "${test}" (${why})`);
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

export interface BrokerOptions {
  /** Extra listener lines (TLS, auth) appended to the config. */
  extra?: (dir: string) => string;
  allowAnonymous?: boolean;
}

export class Broker {
  readonly dir: string;
  private readonly removeDir: () => void;
  port = 0;
  private proc?: ChildProcess;
  log = '';

  constructor(private readonly opts: BrokerOptions = {}) {
    const d = scratchDir('keypadd-broker-');
    this.dir = d.dir;
    this.removeDir = d.remove;
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.proc !== undefined && this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** Starts Mosquitto (a no-op while it runs), on the same port and persistence every time. */
  async start(): Promise<void> {
    if (this.running) return;
    if (this.port === 0) this.port = await freePort();
    const conf = join(this.dir, 'mosquitto.conf');
    writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        `allow_anonymous ${this.opts.allowAnonymous === false ? 'false' : 'true'}`,
        'persistence true',
        `persistence_location ${this.dir}/`,
        'autosave_interval 1',
        // Mosquitto queues at most 1,000 QoS 1 messages for an offline subscriber by default and drops the rest,
        // after acknowledging them to the publisher. A consumer that must see every event needs no limit.
        'max_queued_messages 0',
        // Mosquitto started as root switches to the mosquitto user unless told otherwise; it must write this dir.
        ...(process.getuid?.() === 0 ? ['user root'] : []),
        this.opts.extra?.(this.dir) ?? '',
      ].join('\n') + '\n',
    );
    const proc = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    proc.stdout!.on('data', (d: Buffer) => (this.log += d.toString()));
    proc.stderr!.on('data', (d: Buffer) => (this.log += d.toString()));
    await waitForPort(this.port, proc, () => this.log);
  }

  /** SIGTERM lets Mosquitto save its sessions; the test's "broker killed". */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const proc = this.proc;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      proc.once('exit', () => resolve());
      proc.kill(signal);
    });
  }

  async dispose(): Promise<void> {
    await this.stop('SIGKILL');
    this.removeDir();
  }
}

async function waitForPort(port: number, proc: ChildProcess, log: () => string): Promise<void> {
  const end = Date.now() + 10_000;
  while (Date.now() < end) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited: ${log()}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = createConnection(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}: ${log()}`);
}
