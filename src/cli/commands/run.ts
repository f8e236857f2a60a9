/** keypadd run [--sim]: the door controller daemon. */
import type { Command } from 'commander';
import { fstatSync } from 'node:fs';
import { Daemon } from '../../daemon.js';
import { asyncStderrSink, createLogger } from '../../log.js';
import { attachTerminalKeypad } from '../terminal-keypad.js';
import { ServiceManager } from '../../systemd/service.js';
import { withSession } from '../session.js';

/** Whether stdout is the journal (systemd's JOURNAL_STREAM names the stream it gave us): a PIN must not go there. */
function stdoutIsJournal(): boolean {
  const stream = process.env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(1);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return true;
  }
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the door controller on the wired doors (until SIGTERM or SIGINT); --sim for the simulated door')
    .option('--sim', 'run the simulated door: no hardware and no config needed')
    .option('--demo', 'on an empty database, add a demo person with a generated PIN (implied for --sim in a checkout with no config)')
    .option('--new-database', 'start on a new, empty database where one was lost (refused otherwise: restore the backup instead)')
    .option('--verbose', 'debug logging')
    .action(
      withSession(async (s, o: { sim?: boolean; demo?: boolean; newDatabase?: boolean; verbose?: boolean }) => {
        const { config, source, origins } = s.config();
        // Off the main thread: a stalled journald must not stall the door (src/log.ts).
        const log = createLogger('keypadd', o.verbose ? 'debug' : 'info', asyncStderrSink());
        s.close();
        // Never a working demo PIN on real data: only when asked, or in the checkout's own ./var with no config.
        const demo = o.demo === true || (o.sim === true && s.usesCheckoutDataDir);
        const show = stdoutIsJournal() ? null : (line: string) => process.stdout.write(line + '\n');
        const daemon = new Daemon({
          config,
          provenance: { source, origins },
          sim: o.sim === true,
          demo,
          showDemoPin: show,
          newDatabase: o.newDatabase === true,
          log,
        });
        let stopping: Promise<void> | null = null;
        const stop = () => (stopping ??= daemon.stop());
        // A bug must not leave a door open: lock every relay first, then try to store what is pending.
        const fatal = (err: unknown) => {
          daemon.lockAll();
          log.error(`fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}; relays locked`);
          setTimeout(() => process.exit(70), 2000).unref();
          void stop().finally(() => process.exit(70));
        };
        process.on('uncaughtException', fatal);
        process.on('unhandledRejection', fatal);
        // Installed before start: Node's default for SIGHUP is to exit. keypadd reads its config at start.
        process.on('SIGHUP', () => log.warn('SIGHUP: the configuration is read at start; apply changes with `systemctl restart keypadd`'));
        process.on('SIGUSR2', () => {
          log.setLevel(log.level === 'debug' ? 'info' : 'debug');
          log.warn(`log level now ${log.level} (SIGUSR2 toggles debug)`);
        });
        // Also before start: a stop asked for while starting (a slow start on a Pi) waits for the start, then stops
        // cleanly, relays locked, instead of Node's default of dying on the spot.
        const signalled = new Promise<string>((resolve) => {
          for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
        });
        try {
          await daemon.start();
        } catch (err) {
          await stop();
          throw err;
        }
        const service = new ServiceManager(daemon, log.child('systemd'));
        service.ready();
        let detach = () => undefined as void;
        const quit = new Promise<string>((resolve) => (detach = attachTerminalKeypad(daemon, () => resolve('quit'))));
        const why = await Promise.race([signalled, quit]);
        detach();
        log.info(`${why}: locking doors and stopping`);
        const stopped = stop();
        await service.stopping();
        await stopped;
        log.info('stopped; relays locked');
      }),
    );
}
