/**
 * Vitest global setup: compiles src/ to dist/ once, so that child-process tests run `bin/keypadd` on the code
 * under test, never on a stale build.
 */
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The mutation check (test/mutations/run.mjs) builds each copy from a built base: only the planted file is redone.
  const info = process.env.KEYPADD_TEST_BUILD_INFO;
  const incremental = info ? ['--incremental', '--tsBuildInfoFile', info] : [];
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', ...incremental], { cwd: root, stdio: 'inherit' });
}
