/**
 * keypadd's command line: `keypadd <noun> <verb>`. Exit status 0 on success, 2 for refused input (bad options,
 * invalid values, unknown ids, invalid configuration), 1 for anything else (a damaged database, I/O failures).
 */
import { Command, CommanderError } from 'commander';
import { fstatSync } from 'node:fs';
import { createRequire } from 'node:module';
import { RefusedError, refusalBody } from '../application/errors.js';
import { ConfigError } from '../config/load.js';
import { StorageError } from '../storage/database.js';
import { DatabaseLostError } from '../storage/store.js';
import { HardwareConfigError } from '../daemon.js';
import { GpioError } from '../drivers/gpio/port.js';
import { registerConfig } from './commands/config.js';
import { registerCredentials } from './commands/credential.js';
import { registerEvent } from './commands/event.js';
import { registerPerson } from './commands/person.js';
import { registerReservation } from './commands/reservation.js';
import { registerVisitor } from './commands/visitor.js';
import { registerLockout } from './commands/lockout.js';
import { registerGroup } from './commands/group.js';
import { registerRole } from './commands/role.js';
import { registerDoor } from './commands/door.js';
import { registerCalendar } from './commands/calendar.js';
import { registerRun } from './commands/run.js';
import { registerSim } from './commands/sim.js';
import { registerStatus } from './commands/status.js';
import { registerToken } from './commands/token.js';
import { registerUser } from './commands/user.js';
import { registerSync } from './commands/sync.js';
import { registerDoctor } from './commands/doctor.js';
import { registerLockRelays } from './commands/lock-relays.js';
import { registerBackup } from './commands/backup.js';
import { registerWiringTest } from './commands/wiring-test.js';
import { registerWebhook } from './commands/webhook.js';
import { registerOAuthClient } from './commands/oauth-client.js';
import { DaemonNotRunningError } from '../control/client.js';
import { AlreadyRunningError } from '../control/instance-lock.js';
import { ControlRefusedError } from './control.js';

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_REFUSED = 2;
/** sysexits.h EX_CONFIG: `keypadd run` with a configuration it cannot run. */
export const EXIT_CONFIG = 78;

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

export function buildProgram(): Command {
  const program = new Command('keypadd')
    .description('Keypad and card door controller: people, PINs, cards and reservations in a local database.')
    .version(version)
    .option('--config <file>', 'configuration file (default $KEYPADD_CONFIG, else /etc/keypadd/config.yaml)')
    .option('--data-dir <dir>', 'where the database and PIN key live (default from config, /var/lib/keypadd)')
    .option('--json', 'machine output: resources as the DoorFlow API returns them')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride();
  registerRun(program);
  registerSim(program);
  registerStatus(program);
  registerPerson(program);
  registerCredentials(program);
  registerReservation(program);
  registerVisitor(program);
  registerRole(program);
  registerGroup(program);
  registerEvent(program);
  registerLockout(program);
  registerDoor(program);
  registerCalendar(program);
  registerToken(program);
  registerUser(program);
  registerSync(program);
  registerDoctor(program);
  registerBackup(program);
  registerWiringTest(program);
  registerWebhook(program);
  registerOAuthClient(program);
  registerConfig(program);
  registerLockRelays(program);
  return program;
}

/** Runs the CLI and returns the exit status; never throws. */
export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK;
  } catch (err) {
    const code = report(err, argv.includes('--json'));
    // The daemon exits 78 (EX_CONFIG) on what no restart can fix, a configuration it cannot run, GPIO it cannot have
    // (GpioError.permanent) or a lost database: the unit's RestartPreventExitStatus=78 stops the spinning until the
    // admin acts.
    const permanent =
      err instanceof ConfigError ||
      err instanceof HardwareConfigError ||
      err instanceof DatabaseLostError ||
      (err instanceof GpioError && err.permanent);
    if (program.args[0] !== 'run' || !permanent) return code;
    if (stderrIsJournal()) stderr('keypadd: systemd will not restart keypadd for this (exit 78): fix it, then run  systemctl restart keypadd');
    return EXIT_CONFIG;
  }
}

/**
 * Whether stderr is the journal: JOURNAL_STREAM names its device and inode (systemd.exec(5)). Compared, not just
 * tested for presence, because a shell started from a unit inherits the variable with a terminal for stderr.
 */
function stderrIsJournal(): boolean {
  const stream = process.env.JOURNAL_STREAM;
  if (!stream) return false;
  try {
    const st = fstatSync(2);
    return stream === `${st.dev}:${st.ino}`;
  } catch {
    return false;
  }
}

/**
 * Writes an error to stderr. In the journal every line carries priority 3 (`<3>`, err), so `journalctl -p err` shows
 * why the door is down; journald would otherwise store it at the stream's default, 6 (info).
 */
function stderr(text: string): void {
  const prefix = stderrIsJournal() ? '<3>' : '';
  process.stderr.write(
    text
      .replace(/\n$/, '')
      .split('\n')
      .map((l) => prefix + l)
      .join('\n') + '\n',
  );
}

function report(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    // Commander has printed its message or the help already.
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
    return EXIT_REFUSED;
  }
  if (err instanceof RefusedError) {
    if (json) {
      const body = err.existing === undefined ? refusalBody(err) : { ...refusalBody(err), existing: err.existing };
      stderr(JSON.stringify(body));
    } else {
      stderr(`keypadd: refused: ${err.message.replaceAll('\n', '\nkeypadd: refused: ')}`);
    }
    return EXIT_REFUSED;
  }
  if (err instanceof ConfigError) {
    stderr(`keypadd: ${err.message}`);
    return EXIT_REFUSED;
  }
  if (err instanceof AlreadyRunningError) {
    stderr(`keypadd: ${err.message}`);
    return EXIT_FAILED;
  }
  if (err instanceof DaemonNotRunningError) {
    stderr(`keypadd: ${err.message} (start it with: keypadd run --sim)`);
    return EXIT_FAILED;
  }
  if (err instanceof ControlRefusedError) {
    stderr(`keypadd: refused: ${err.message}`);
    return EXIT_REFUSED;
  }
  if (err instanceof HardwareConfigError) {
    stderr(`keypadd: refused: ${err.message}`);
    return EXIT_REFUSED;
  }
  if (err instanceof GpioError) {
    stderr(`keypadd: GPIO: ${err.message}`);
    return EXIT_FAILED;
  }
  if (/^SQLITE_READONLY/.test((err as { code?: string })?.code ?? '')) {
    stderr('keypadd: the data dir is read-only (a file system that went read-only?): the change cannot be saved; see `keypadd doctor`');
    return EXIT_FAILED;
  }
  if (err instanceof StorageError) {
    stderr(`keypadd: ${err.message}`);
    return EXIT_FAILED;
  }
  stderr(`keypadd: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return EXIT_FAILED;
}
