/**
 * The layer rules of eslint.config.js, run as the lint step runs them: the tree as it is passes, and a planted cycle
 * or upward import fails (a rule that cannot fail would guard nothing).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const eslint = new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId.startsWith('import-x/') });

/** The import-x problems of one source file as it would read with `text`, as "rule: message". */
async function problems(file: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(ROOT, file) });
  return result!.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

const source = (file: string) => readFileSync(join(ROOT, file), 'utf8');

describe('layer rules', () => {
  it('pass on the tree as it is: no import cycle, no import that runs back up', { timeout: 60_000 }, async () => {
    const results = await eslint.lintFiles(['src/**/*.ts']);
    const found = results.flatMap((r) => r.messages.map((m) => `${r.filePath.slice(ROOT.length + 1)}:${m.line} ${m.ruleId}: ${m.message}`));
    expect(found).toEqual([]);
    expect(results.length).toBeGreaterThan(100);
  });

  it('fail on a planted cycle (roles importing people, which imports roles)', { timeout: 30_000 }, async () => {
    const file = 'src/application/roles.ts';
    expect(await problems(file, source(file))).toEqual([]);
    const planted = `import { getPersonRow } from './people.js';\nvoid getPersonRow;\n${source(file)}`;
    expect(await problems(file, planted)).toEqual([expect.stringMatching(/^import-x\/no-cycle: /)]);
  });

  it('fail on a planted upward import: the core reaching the logger, a driver reaching storage, a service another', { timeout: 30_000 }, async () => {
    const plant = async (file: string, line: string) => problems(file, `${line}\n${source(file)}`);
    expect(await plant('src/core/lockout.ts', `import '../log.js';`)).toEqual([
      expect.stringMatching(/no-restricted-paths: .*the core imports nothing outside src\/core/),
    ]);
    expect(await plant('src/drivers/clock.ts', `import '../storage/database.js';`)).toEqual([
      expect.stringMatching(/src\/drivers sits below src\/storage/),
    ]);
    expect(await plant('src/mqtt/bridge.ts', `import '../api/http.js';`)).toEqual([expect.stringMatching(/services do not import one another/)]);
    expect(await plant('src/storage/prune.ts', `import '../daemon.js';`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/only the CLI starts the daemon/)]),
    );
  });
});
