/**
 * The console's doctor page runs `keypadd doctor --json` as a child process, the same checks an installer runs over
 * SSH: nothing of src/ops runs inside the daemon (an integrity check or a broker probe there would stall it), and the
 * answer is exactly the CLI's. One run at a time; a run that hangs is killed after a minute.
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Config } from '../config/schema.js';
import type { ConfigProvenance } from '../config/origins.js';
import type { DoctorCheck } from '../web/deps.js';

const BIN = fileURLToPath(new URL('../../bin/keypadd', import.meta.url));
const TIMEOUT_MS = 60_000;

function parseChecks(stdout: string): DoctorCheck[] {
  const parsed: unknown = JSON.parse(stdout);
  if (!Array.isArray(parsed)) throw new Error('doctor: its answer is not a list of checks');
  return parsed.map((c: unknown, i) => {
    const check = c as Partial<DoctorCheck>;
    if (typeof check.name !== 'string' || typeof check.detail !== 'string' || !['pass', 'warn', 'fail'].includes(String(check.verdict)))
      throw new Error(`doctor: check ${i} is not {name, verdict, detail}`);
    return { name: check.name, verdict: check.verdict!, detail: check.detail, ...(typeof check.fix === 'string' ? { fix: check.fix } : {}) };
  });
}

export function doctorRunner(config: Config, provenance: ConfigProvenance): () => Promise<DoctorCheck[]> {
  let running: Promise<DoctorCheck[]> | null = null;
  const configArgs = provenance.source === 'built-in defaults' || provenance.source === 'unknown' ? [] : ['--config', resolve(provenance.source)];
  const run = () =>
    new Promise<DoctorCheck[]>((done, fail) => {
      execFile(
        process.execPath,
        [BIN, '--json', ...configArgs, '--data-dir', config.data_dir, 'doctor'],
        { timeout: TIMEOUT_MS, maxBuffer: 1024 * 1024 },
        (err, stdout, stderr) => {
          // Exit 1 is doctor's answer when a check fails; the checks are still on stdout.
          if (err && (err as { code?: unknown }).code !== 1) return fail(new Error(`doctor did not finish: ${stderr.trim() || err.message}`));
          try {
            done(parseChecks(stdout));
          } catch (parseErr) {
            fail(parseErr as Error);
          }
        },
      );
    });
  return () => (running ??= run().finally(() => (running = null)));
}
