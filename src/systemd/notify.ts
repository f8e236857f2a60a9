/**
 * sd_notify for Node. Node has no AF_UNIX datagram sockets (nodejs/node #29339), so keypadd spawns systemd's own
 * `systemd-notify`, asynchronously, never blocking the event loop. It is run without --no-block on purpose: since
 * systemd 246 it then waits on a barrier until the manager has processed the message, which closes the race where
 * a short-lived sender exits before systemd can attribute its message to the unit. The unit sets NotifyAccess=all
 * because the sender is a child process; `--pid` names keypadd as the main PID.
 */
import { spawn } from 'node:child_process';
import type { Logger } from '../log.js';

export type NotifyFields = Record<string, string | number>;

export class SystemdNotifier {
  private busy = false;
  private queue: NotifyFields[] = [];
  private broken = false;

  constructor(
    private readonly log: Logger,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  get enabled(): boolean {
    return Boolean(this.env.NOTIFY_SOCKET) && !this.broken;
  }

  /** Queues a message; a WATCHDOG ping is dropped when one is already waiting (pings must not pile up). */
  send(fields: NotifyFields): void {
    if (!this.enabled) return;
    if (fields.WATCHDOG !== undefined && this.queue.some((q) => q.WATCHDOG !== undefined)) return;
    this.queue.push(fields);
    this.next();
  }

  /** Resolves when everything queued has been handed to the manager. */
  async drain(timeoutMs = 3000): Promise<void> {
    const end = Date.now() + timeoutMs;
    while ((this.busy || this.queue.length > 0) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }

  private next(): void {
    if (this.busy) return;
    const fields = this.queue.shift();
    if (!fields) return;
    this.busy = true;
    const args = [`--pid=${process.pid}`, ...Object.entries(fields).map(([k, v]) => `${k}=${String(v).replace(/\n/g, ' ')}`)];
    const child = spawn('systemd-notify', args, { stdio: 'ignore', env: this.env });
    const done = () => {
      this.busy = false;
      this.next();
    };
    child.once('error', (err) => {
      this.broken = true;
      this.log.error(`cannot notify systemd: ${err.message} (is systemd-notify installed?)`);
      this.queue = [];
      done();
    });
    child.once('exit', (code) => {
      if (code !== 0) this.log.warn(`systemd-notify ${Object.keys(fields).join(',')} exited ${code}`);
      done();
    });
  }
}

/** Half of WatchdogSec, from WATCHDOG_USEC (when WATCHDOG_PID is unset or names this process); null when off. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | null {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return null;
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return null;
  return Math.max(50, usec / 2000);
}
