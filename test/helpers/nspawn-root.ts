/**
 * The Debian bookworm root file system the systemd-nspawn tests boot, built once by debootstrap and cached outside
 * the clone (a clean clone, or `git clean`, must not cost a rebuild; the cache must never be committed).
 *
 * The build is atomic: debootstrap writes into `<cache>.tmp-<pid>`, a stamp file is written last, and only then is
 * the directory renamed into place. A build that was killed leaves a `.tmp-` directory that no run trusts (the next
 * build deletes it) and never a half root at `<cache>`. The whole check-and-build runs under `flock`, so two test
 * files that start together build it once; the lock dies with its holder.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the root lives between runs (KEYPADD_TEST_NSPAWN_ROOT moves it, e.g. onto a CI cache volume). */
export const ROOT_CACHE = process.env.KEYPADD_TEST_NSPAWN_ROOT ?? '/var/cache/keypadd-test/nspawn-bookworm';
export const SUITE = 'bookworm';
/** Issue 16's list, plus strace for the hardening test (it traces the service from inside the container). */
export const PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'sudo', 'procps', 'libstdc++6', 'ca-certificates', 'strace'];
/** What the cached root was made from; a root with another stamp is rebuilt. Bump the version when the setup changes. */
const STAMP = `keypadd-test-root v1 ${SUITE} ${PACKAGES.join(',')}`;
const STAMP_FILE = '.keypadd-test-root';
export const HOSTNAME = 'keypadd-test';

export interface Mirror {
  uri: string;
  /** The keyring apt checks this mirror with (Signed-By), handed to debootstrap so it verifies the same way. */
  keyring: string | null;
}

/**
 * The Debian mirror apt already uses here: the first `Types: deb` stanza of /etc/apt/sources.list.d/*.sources,
 * else the first `deb` line of /etc/apt/sources.list, else deb.debian.org.
 */
export function aptMirror(): Mirror {
  const dir = '/etc/apt/sources.list.d';
  const files = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.sources'))
        .sort()
    : [];
  for (const f of files) {
    for (const stanza of readFileSync(join(dir, f), 'utf8').split(/\n\s*\n/)) {
      const field = (name: string) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1]?.trim();
      if (!/\bdeb\b/.test(field('Types') ?? '') || !/\bbookworm\b/.test(field('Suites') ?? '')) continue;
      const uri = field('URIs')?.split(/\s+/)[0];
      if (uri && !/security/.test(uri)) return { uri, keyring: field('Signed-By') ?? null };
    }
  }
  const list = existsSync('/etc/apt/sources.list') ? readFileSync('/etc/apt/sources.list', 'utf8') : '';
  const line = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s/m.exec(list);
  return { uri: line?.[1] ?? 'http://deb.debian.org/debian', keyring: null };
}

export function rootIsCurrent(root = ROOT_CACHE): boolean {
  try {
    return readFileSync(join(root, STAMP_FILE), 'utf8') === STAMP;
  } catch {
    return false;
  }
}

/** The build itself: a shell script, run under flock (its header says what it guarantees). */
const BUILD_SCRIPT = fileURLToPath(new URL('./nspawn-root.sh', import.meta.url));

/**
 * Makes sure the cached root exists and is current, building it if not (about 40 s to a few minutes, depending on
 * the mirror). Resolves to its path; rejects with the end of debootstrap's output when the build fails.
 */
export async function ensureRoot(root = ROOT_CACHE): Promise<string> {
  if (rootIsCurrent(root)) return root;
  mkdirSync(dirname(root), { recursive: true });
  const mirror = aptMirror();
  console.warn(`NOTICE: building the systemd-nspawn root ${root} from ${mirror.uri} (first run only; about a minute)`);
  const args = [
    join(dirname(root), '.build.lock'),
    'bash',
    BUILD_SCRIPT,
    root,
    STAMP,
    mirror.uri,
    mirror.keyring ?? '',
    PACKAGES.join(','),
    HOSTNAME,
  ];
  const started = Date.now();
  const output = await new Promise<{ code: number | null; log: string }>((resolve, reject) => {
    const proc = spawn('flock', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const keep = (b: Buffer) => (log = (log + b.toString()).slice(-8000));
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    proc.once('error', reject);
    proc.once('exit', (code) => resolve({ code, log }));
  });
  if (output.code !== 0 || !rootIsCurrent(root)) throw new Error(`building the nspawn root failed (exit ${output.code}):\n${output.log}`);
  if (/^built /m.test(output.log)) console.warn(`NOTICE: built ${root} in ${Math.round((Date.now() - started) / 1000)} s`);
  return root;
}
