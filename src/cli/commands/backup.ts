/** keypadd backup FILE: an online copy of the database (safe while the service runs), and where the key to keep is. */
import type { Command } from 'commander';
import { invalid } from '../../application/errors.js';
import { BackupTargetError, backupDatabase, type BackupResult } from '../../storage/backup.js';
import { databasePath } from '../../storage/database.js';
import { INSTALLED_PIN_KEY, pinKeyLocation } from '../../storage/pin-key.js';
import { print } from '../output.js';
import { Session } from '../session.js';

const size = (bytes: number) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KiB` : `${(bytes / 1024 / 1024).toFixed(1)} MiB`);

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('copy the database to FILE with SQLite’s online backup (safe while the service runs); never overwrites a file')
    .argument('<file>', 'where to write the copy (a new file)')
    .action(async (target: string, _o, cmd: Command) => {
      const s = Session.of(cmd);
      const { config } = s.config();
      let result: BackupResult;
      try {
        result = await backupDatabase(config.data_dir, target);
      } catch (err) {
        if (err instanceof BackupTargetError) throw invalid('file', err.message);
        throw err;
      }
      // The key is deliberately not in the copy: a backup that leaks should not hand over every PIN with it.
      const key = pinKeyLocation(config.data_dir, process.env, config.pin_key_file);
      const where =
        key === INSTALLED_PIN_KEY
          ? `${key} (where install.sh keeps it)`
          : `${key} (the key this configuration uses; an installed keypadd keeps it in ${INSTALLED_PIN_KEY})`;
      print(s, { ...result, database: databasePath(config.data_dir), pin_key_file: key, installed_pin_key: INSTALLED_PIN_KEY }, () =>
        [
          `Backed up ${databasePath(config.data_dir)} to ${result.file}: ${result.people} people, ${result.credentials} credentials, ${result.events} events (${size(result.bytes)}); the copy passed its integrity check.`,
          `The PIN key is not in the backup, and without it no PIN or card in it matches: keep a copy of ${where} with it.`,
        ].join('\n'),
      );
    });
}
