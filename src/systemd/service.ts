/**
 * keypadd as a systemd service: READY=1 once the daemon is up (database open, drivers up, relays locked), a
 * one-line STATUS= kept current, watchdog pings behind a health check, STOPPING=1 on the way out.
 */
import type { Daemon } from '../daemon.js';
import type { Logger } from '../log.js';
import { SystemdNotifier, watchdogIntervalMs } from './notify.js';
import { Watchdog } from './watchdog.js';

export class ServiceManager {
  private readonly notifier: SystemdNotifier;
  private watchdog?: Watchdog;
  private statusTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly daemon: Daemon,
    private readonly log: Logger,
    env: NodeJS.ProcessEnv = process.env,
  ) {
    this.notifier = new SystemdNotifier(log, env);
    const interval = watchdogIntervalMs(env);
    if (interval !== null) {
      this.watchdog = new Watchdog(interval, { storageTrouble: () => daemon.storageTrouble() }, () => this.notifier.send({ WATCHDOG: 1 }));
    }
  }

  /** Call once the daemon has started. */
  ready(): void {
    this.notifier.send({ READY: 1, STATUS: this.daemon.summary() });
    this.watchdog?.start();
    this.statusTimer = setInterval(() => {
      const unhealthy = this.watchdog?.last.ok === false ? ` UNHEALTHY: ${this.watchdog.last.reason}` : '';
      if (unhealthy) this.log.error(`health check failed: ${this.watchdog!.last.reason}; withholding the watchdog ping`);
      this.notifier.send({ STATUS: this.daemon.summary() + unhealthy });
    }, 10_000);
    this.statusTimer.unref();
  }

  /** Call first thing when stopping. */
  async stopping(): Promise<void> {
    this.watchdog?.stop();
    clearInterval(this.statusTimer);
    this.notifier.send({ STOPPING: 1, STATUS: 'stopping: relays locked, storing the last events' });
    await this.notifier.drain();
  }
}
