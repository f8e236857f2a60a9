/**
 * Vitest global setup: compiles src/ to dist/ once, so that child-process tests run `bin/keypadd` on the code
 * under test, never on a stale build.
 */
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export default function setup(): void {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  // The mutation check (test/mutations/run.mjs) builds each copy from a built base: only the planted file is redone.
  const info = process.env.KEYPADD_TEST_BUILD_INFO;
  const incremental = info ? ['--incremental', '--tsBuildInfoFile', info] : [];
  // A full build starts from nothing: the output of a source file since moved or deleted must not linger for a
  // fixture to import (dist/ in a fresh clone has none of it).
  if (!info) rmSync(`${root}dist`, { recursive: true, force: true });
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.json', ...incremental], { cwd: root, stdio: 'inherit' });
}
