/** keypadd doctor: config, database, key, free space, GPIO, serial, clock, MQTT; exit 1 on any failure. */
import type { Command } from 'commander';
import { ConfigError } from '../../config/load.js';
import { runChecks, type Check } from '../../ops/doctor.js';
import { print } from '../output.js';
import { Session } from '../session.js';

export function registerDoctor(program: Command): void {
  program
    .command('doctor')
    .description('check everything an installation needs, with the fix for each problem (exit 1 on any failure)')
    .action(async (_o, cmd: Command) => {
      const s = Session.of(cmd);
      let checks: Check[];
      try {
        const { config, source } = s.config();
        checks = [{ name: 'config', verdict: 'pass', detail: `${source} is valid` }, ...(await runChecks(config))];
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        checks = [{ name: 'config', verdict: 'fail', detail: err.problems.join('; '), fix: 'correct the settings named (keypadd config describe)' }];
      }
      const width = Math.max(...checks.map((c) => c.name.length));
      print(s, checks, () =>
        checks
          .map((c) => `${c.verdict.toUpperCase().padEnd(4)}  ${c.name.padEnd(width)}  ${c.detail}${c.fix ? `\n      fix: ${c.fix}` : ''}`)
          .join('\n'),
      );
      if (checks.some((c) => c.verdict === 'fail')) process.exitCode = 1;
    });
}
