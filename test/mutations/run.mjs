#!/usr/bin/env node
/**
 * Mutation check: plants each bug of mutations.mjs in a throwaway copy of this checkout, builds it and runs the test
 * files named for that bug, which must fail. A test that cannot fail is a defect; this is how we know ours can.
 *
 * The working tree is never touched. The checkout (src/, test/, bin/, systemd/, ... but not .git, dist/ or var/) is
 * copied once and built there (incrementally) as a base; each mutation gets its own copy of that base, with
 * node_modules made of links to this checkout's packages, so nothing is installed twice and caches land in the copy.
 * The mutant builds itself (vitest's global setup), redoing only what the planted bug changes.
 *
 * Loud failures, exit status 1:
 *  - a mutation's `find` text is not in its file exactly once (the code moved on: update the table entry);
 *  - a planted bug passes every named test (a test to write, or a table entry that names the wrong test);
 *  - a run gives no result at all (the mutated copy does not build, or vitest could not start).
 *
 * Usage: node test/mutations/run.mjs [--list] [--keep] [name ...]
 *   --list  print the table and check every find text, without running anything
 *   --keep  keep each copy (its path is printed) to look into a result
 *   name    run only these mutations
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MUTATIONS } from './mutations.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Top-level entries never copied: history, build output, local data, and node_modules (linked instead). */
const NOT_COPIED = new Set(['.git', 'node_modules', 'dist', 'var', 'coverage']);
/** Caches inside node_modules stay out of the copy's links, so the copy writes its own. */
const NOT_LINKED = new Set(['.vite', '.vitest', '.cache']);

const args = process.argv.slice(2);
const listOnly = args.includes('--list');
const keep = args.includes('--keep');
const only = args.filter((a) => !a.startsWith('--'));

/** The edits of a mutation: one `file`/`find`/`replace`, or several in `edits` (an import and its use). */
const editsOf = (m) => m.edits ?? [{ file: m.file, find: m.find, replace: m.replace }];

/** Every problem with the table itself, found before anything runs. */
function tableProblems(entries) {
  const problems = [];
  const names = new Set();
  for (const m of entries) {
    const where = `mutation "${m.name}"`;
    if (!m.name || names.has(m.name)) problems.push(`${where}: names must be present and unique`);
    names.add(m.name);
    if (!m.why) problems.push(`${where}: say in "why" what defect it models`);
    if (!Array.isArray(m.tests) || m.tests.length === 0) problems.push(`${where}: "tests" must name at least one test file`);
    for (const t of m.tests ?? []) if (!existsSync(join(ROOT, t))) problems.push(`${where}: test file ${t} does not exist`);
    for (const e of editsOf(m)) {
      if (typeof e.find !== 'string' || typeof e.replace !== 'string' || e.find === e.replace) {
        problems.push(`${where}: each edit needs a find text and a different replacement`);
        continue;
      }
      const path = join(ROOT, e.file ?? '');
      if (!e.file || !existsSync(path)) {
        problems.push(`${where}: ${e.file} does not exist`);
        continue;
      }
      const occurrences = readFileSync(path, 'utf8').split(e.find).length - 1;
      if (occurrences !== 1)
        problems.push(`${where}: the find text occurs ${occurrences} times in ${e.file} (it must occur exactly once): ${JSON.stringify(e.find)}`);
    }
  }
  for (const name of only) if (!entries.some((m) => m.name === name)) problems.push(`no mutation named "${name}"`);
  return problems;
}

/** The build's incremental state in each copy: the base's build is reused, and only the planted file is redone. */
const BUILD_INFO = join('dist', '.tsbuildinfo');

/** A copy of `from` (the checkout, or the built base) in a new temporary directory, node_modules as links to ours. */
function copyTree(from, label) {
  const dir = mkdtempSync(join(tmpdir(), `keypadd-mutant-${label.replace(/[^a-z0-9]+/gi, '-')}-`));
  for (const entry of readdirSync(from)) {
    if (!NOT_COPIED.has(entry) || (from !== ROOT && entry === 'dist')) cpSync(join(from, entry), join(dir, entry), { recursive: true });
  }
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (!NOT_LINKED.has(entry)) symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  return dir;
}

/** The checkout as it is, built once (incrementally), for every mutant to start from. */
async function buildBase() {
  const dir = copyTree(ROOT, 'base');
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const { code, output } = await run(process.execPath, [tsc, '-p', 'tsconfig.json', '--incremental', '--tsBuildInfoFile', BUILD_INFO], dir);
  if (code !== 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`the checkout itself does not build:\n${output}`);
  }
  return dir;
}

/** A copy of the built base with one bug planted. */
function plant(m, base) {
  const dir = copyTree(base, m.name);
  for (const e of editsOf(m)) {
    const file = join(dir, e.file);
    writeFileSync(
      file,
      readFileSync(file, 'utf8').replace(e.find, () => e.replace),
    );
  }
  return dir;
}

/** A mutant run may hang (a planted bug can stop a daemon answering): past this, its process group is killed. */
const RUN_LIMIT_MS = 10 * 60_000;
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** The run in progress, ended with this script (Ctrl-C, CI cancelling): it is in a process group of its own. */
let current = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    if (current) killGroup(current);
    process.exit(130);
  });
}

function run(cmd, argv, cwd, env = {}) {
  return new Promise((resolve) => {
    // Its own process group, so that vitest's workers and the daemons they start go with it on a timeout.
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, FORCE_COLOR: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    current = child;
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    const timer = setTimeout(() => {
      output += `\nmutations: killed after ${RUN_LIMIT_MS / 60_000} min`;
      killGroup(child);
    }, RUN_LIMIT_MS);
    child.on('close', (code) => {
      clearTimeout(timer);
      current = null;
      resolve({ code, output });
    });
  });
}

/** Runs the named tests on the mutant; the verdict comes from vitest's JSON report, never from the exit status alone. */
async function check(m, base) {
  const dir = plant(m, base);
  const report = join(dir, 'mutation-result.json');
  const started = performance.now();
  const vitest = join(ROOT, 'node_modules', 'vitest', 'vitest.mjs');
  const argv = [vitest, 'run', '--no-cache', '--reporter=json', `--outputFile=${report}`, ...(m.testName ? ['-t', m.testName] : []), ...m.tests];
  const { output } = await run(process.execPath, argv, dir, { KEYPADD_TEST_BUILD_INFO: BUILD_INFO });
  const seconds = (performance.now() - started) / 1000;
  let result = null;
  try {
    result = JSON.parse(readFileSync(report, 'utf8'));
  } catch {
    // No report: the copy did not build, or vitest did not start. Judged below.
  }
  if (!keep) rmSync(dir, { recursive: true, force: true });
  if (!result || result.numTotalTests === 0) return { m, verdict: 'broken', seconds, detail: `no test ran; output:\n${output.slice(-3000)}`, dir };
  const failed = result.testResults.flatMap((f) =>
    f.assertionResults
      .filter((a) => a.status === 'failed')
      .map((a) => ({ name: `${relative(dir, f.name)} > ${a.fullName}`, message: (a.failureMessages[0] ?? '').split('\n')[0] })),
  );
  const skipped = result.numPendingTests + result.numTodoTests;
  if (failed.length > 0) return { m, verdict: 'caught', seconds, failed, dir };
  return {
    m,
    verdict: 'survived',
    seconds,
    detail: `${result.numPassedTests} passed, ${skipped} skipped: no named test fails with this bug planted`,
    dir,
  };
}

const selected = only.length > 0 ? MUTATIONS.filter((m) => only.includes(m.name)) : MUTATIONS;
const problems = tableProblems(MUTATIONS);
if (problems.length > 0) {
  for (const p of problems) console.error(`mutations: ${p}`);
  console.error('mutations: the table is out of date with the code; nothing was run');
  process.exit(1);
}
if (listOnly) {
  for (const m of selected)
    console.log(
      `${m.name}: ${editsOf(m)
        .map((e) => e.file)
        .join(', ')}: ${m.why}\n  tests: ${m.tests.join(' ')}${m.testName ? ` (-t ${m.testName})` : ''}`,
    );
  process.exit(0);
}

const t0 = performance.now();
const base = await buildBase();
const results = [];
for (const m of selected) {
  const r = await check(m, base);
  results.push(r);
  const where = keep ? ` [${r.dir}]` : '';
  if (r.verdict === 'caught') {
    console.log(`caught    ${m.name} (${r.seconds.toFixed(1)} s)${where}`);
    for (const f of r.failed.slice(0, 3)) console.log(`            by ${f.name}\n               ${f.message}`);
    if (r.failed.length > 3) console.log(`            and ${r.failed.length - 3} more`);
  } else {
    console.error(`${r.verdict.toUpperCase().padEnd(9)} ${m.name} (${r.seconds.toFixed(1)} s)${where}: ${m.why}\n            ${r.detail}`);
  }
}
rmSync(base, { recursive: true, force: true });
const count = (v) => results.filter((r) => r.verdict === v).length;
const total = ((performance.now() - t0) / 1000).toFixed(0);
console.log(`mutations: ${count('caught')} caught, ${count('survived')} survived, ${count('broken')} broken, of ${results.length} (${total} s)`);
process.exit(count('caught') === results.length ? 0 : 1);
