/** keypadd config check|describe */
import type { Command } from 'commander';
import { configSchema } from '../../config/schema.js';
import { envName, listSettings } from '../../config/schema-walk.js';
import { describeOrigins } from '../../config/origins.js';
import { print, table } from '../output.js';
import { Session } from '../session.js';

/** The built-in default at a key path, read from the schema itself so the text cannot drift from it. */
function defaultAt(path: string[]): unknown {
  let node: unknown = configSchema.parse({});
  for (const key of path) node = node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined;
  return node;
}

export function registerConfig(program: Command): void {
  const config = program.command('config').description('the configuration file');

  config
    .command('check')
    .description('validate the configuration and print it with defaults filled in')
    .option('--origins', 'print each setting with where its value came from (the file, a variable, --data-dir or the default)')
    .action((o: { origins?: boolean }, cmd: Command) => {
      const s = Session.of(cmd);
      const { config: c, source, origins } = s.config();
      if (o.origins) {
        const rows = describeOrigins(c, origins);
        print(
          s,
          rows,
          () =>
            `Configuration OK (${source})\n` +
            table(
              ['setting', 'value', 'from'],
              rows.map((r) => [r.setting, JSON.stringify(r.value), r.origin]),
              '',
            ),
        );
        return;
      }
      print(s, c, () => `Configuration OK (${source})\n${JSON.stringify(c, null, 2)}`);
    });

  config
    .command('describe')
    .description('list every setting with its default, environment variable and meaning')
    .action((_o, cmd: Command) => {
      const s = Session.of(cmd);
      const settings = listSettings(configSchema).map((x) => ({
        key: x.path.join('.'),
        type: x.kind,
        default: x.inList ? undefined : defaultAt(x.path),
        env: x.inList ? undefined : envName(x.path),
        description: x.description,
      }));
      print(s, settings, () =>
        settings
          .map((x) =>
            [
              `${x.key} (${x.type})`,
              `    ${x.description}`,
              x.default !== undefined ? `    default: ${JSON.stringify(x.default)}` : '',
              x.env ? `    env: ${x.env}` : '',
            ]
              .filter(Boolean)
              .join('\n'),
          )
          .join('\n'),
      );
    });
}
