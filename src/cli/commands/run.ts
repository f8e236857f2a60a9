/** keypadd run [--sim]: the door controller daemon. */
import type { Command } from 'commander';
import { createCredential } from '../../admin/credentials.js';
import { addPerson } from '../../admin/people.js';
import { Daemon } from '../../daemon.js';
import { asyncStderrSink, createLogger } from '../../log.js';
import { PeopleRepo } from '../../storage/people-repo.js';
import { attachTerminalKeypad } from '../terminal-keypad.js';
import { ServiceManager } from '../../systemd/service.js';
import { type Session, withSession } from '../session.js';

/** On a fresh simulated door, someone to let in: a demo person with a generated PIN, shown once. */
function createDemoPerson(s: Session): void {
  const ctx = s.admin();
  if (new PeopleRepo(ctx.store.db).count() > 0) return;
  const p = addPerson(ctx, { first_name: 'Demo', last_name: 'Person' });
  const { credential } = createCredential(ctx, { person_id: p.id, credential_type_id: 6 });
  process.stdout.write(`Demo person ${p.id} (Demo Person) created with PIN ${credential.value}: type it, then #.\n`);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run the door controller on the wired doors (until SIGTERM or SIGINT); --sim for the simulated door')
    .option('--sim', 'run the simulated door: no hardware and no config needed')
    .option('--verbose', 'debug logging')
    .action(
      withSession(async (s, o: { sim?: boolean; verbose?: boolean }) => {
        const { config } = s.config();
        // Off the main thread: a stalled journald must not stall the door (src/log.ts).
        const log = createLogger('keypadd', o.verbose ? 'debug' : 'info', asyncStderrSink());
        if (o.sim) createDemoPerson(s);
        s.close();
        const daemon = new Daemon({ config, sim: o.sim === true, log });
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
        try {
          await daemon.start();
        } catch (err) {
          await stop();
          throw err;
        }
        const service = new ServiceManager(daemon, log.child('systemd'));
        service.ready();
        const signalled = new Promise<string>((resolve) => {
          for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => resolve(sig));
        });
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
