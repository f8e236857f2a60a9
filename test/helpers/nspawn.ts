/**
 * A Debian bookworm container with a real systemd as PID 1 (systemd-nspawn), for the tests that need a real service
 * manager: this machine's PID 1 is not systemd, so test/systemd can only fake NOTIFY_SOCKET. Field notes §12 say
 * what makes nspawn boot here; each step below cites the reason.
 *
 * Each container boots an overlay of the cached root (nspawn-root.ts) with its upper layer in a temporary directory:
 * the cache is never written, and nothing a test did survives it. This machine's Node is copied into that upper layer
 * (bookworm's is 18), so the cache does not go stale when Node is upgraded. `dispose()` powers the container off and
 * removes its processes, mount and cgroups, whatever state the test left it in, and throws if anything is left.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, realpathSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { haveCommand } from './broker.js';
import {
  cgroupRoots,
  findInit,
  isMounted,
  PREFIX,
  removeCgroup,
  run,
  sweepStale,
  tryKill,
  type ShellOptions,
  type ShellResult,
} from './nspawn-host.js';
import { ensureRoot, HOSTNAME } from './nspawn-root.js';

export type { ShellOptions, ShellResult };

export interface BootOptions {
  /** Host paths bound read-only into the container, host path -> container path. */
  bindReadOnly?: Record<string, string>;
  /** How long the boot may take to reach `running` (default 60 s; the first boot of a loaded machine is slow). */
  timeoutMs?: number;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * Where to skip: nspawn and debootstrap must be installed and the tests must run as root. The group is skipped with
 * a NOTICE line elsewhere, and fails under CI=true (as requireTool does for the other groups' tools).
 */
export function requireNspawn(group: string): boolean {
  const missing = ['systemd-nspawn', 'debootstrap', 'nsenter', 'flock', 'setpriv'].filter((c) => !haveCommand(c));
  const why = missing.length > 0 ? `${missing.join(', ')} not installed` : process.getuid?.() !== 0 ? 'not running as root' : null;
  if (why === null) return true;
  if (process.env.CI === 'true')
    throw new Error(`${why}, and under CI=true the ${group} tests may not be skipped (apt-get install debootstrap systemd-container; run as root)`);
  console.warn(`NOTICE: ${why}: skipping the ${group} tests (as root: apt-get install debootstrap systemd-container)`);
  return false;
}

export class Container {
  /** Milliseconds from starting systemd-nspawn to `systemctl is-system-running` saying running. */
  bootMs = 0;
  /** The console: systemd's boot and shutdown messages (the last 64 KB), for failure messages. */
  console = '';
  private initPid = 0;
  private spawnError: Error | null = null;

  private constructor(
    private readonly name: string,
    private readonly dir: string,
    private readonly nspawn: ChildProcess,
    private readonly cgroups: string[],
  ) {}

  /** Builds the cached root if needed, boots a container on an overlay of it, and waits until systemd is running. */
  static async boot(options: BootOptions = {}): Promise<Container> {
    sweepStale();
    const root = await ensureRoot();
    const name = `${PREFIX}${process.pid}-${randomBytes(3).toString('hex')}`;
    const dir = join(tmpdir(), name);
    for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
    stageNode(join(dir, 'upper'));
    const mounted = await run('mount', [
      '-t',
      'overlay',
      'overlay',
      '-o',
      `lowerdir=${root},upperdir=${dir}/upper,workdir=${dir}/work`,
      join(dir, 'merged'),
    ]);
    if (mounted.status !== 0) {
      await run('rm', ['-rf', '--one-file-system', dir]);
      throw new Error(`cannot mount the overlay for ${name}: ${mounted.stderr}`);
    }

    // The host's cgroups are hybrid: nspawn needs its own cgroup in both hierarchies, and the unified one inside
    // (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1, like Raspberry Pi OS). Its shell joins them, then execs nspawn.
    const cgroups = cgroupRoots().map((r) => join(r, name));
    const binds = Object.entries(options.bindReadOnly ?? {}).map(([host, inside]) => `--bind-ro=${host}:${inside}`);
    // No machined or D-Bus on the host: --register=no --keep-unit. Without bpf the container's systemd silently
    // ignores DevicePolicy=/DeviceAllow=, which the unit relies on. setpriv: if the test process dies, nspawn gets
    // SIGTERM, which it turns into a clean poweroff of the container.
    const args = [
      '-D',
      join(dir, 'merged'),
      '--boot',
      '--register=no',
      '--keep-unit',
      '--private-network',
      '--system-call-filter=bpf',
      '--console=read-only',
      `--machine=${name}`,
      `--hostname=${HOSTNAME}`,
      ...binds,
    ];
    const script =
      'for c in "$@"; do [ "$c" = -- ] && break; echo $$ > "$c/cgroup.procs"; shift; done; shift; export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1; exec systemd-nspawn "$@"';
    let nspawn: ChildProcess | null = null;
    try {
      for (const c of cgroups) mkdirSync(c);
      nspawn = spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'bash', '-c', script, 'nspawn', ...cgroups, '--', ...args], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } finally {
      // Nothing to boot: take back the overlay and the cgroups made so far.
      if (nspawn === null) {
        cgroups.forEach(removeCgroup);
        await run('umount', [join(dir, 'merged')]);
        await run('rm', ['-rf', '--one-file-system', dir]);
      }
    }
    const c = new Container(name, dir, nspawn, cgroups);
    const keep = (b: Buffer) => (c.console = (c.console + b.toString()).slice(-65536));
    nspawn.stdout!.on('data', keep);
    nspawn.stderr!.on('data', keep);
    nspawn.once('error', (err) => (c.spawnError = err));
    const started = Date.now();
    try {
      await c.waitForBoot(options.timeoutMs ?? 60_000);
    } catch (err) {
      await c.dispose().catch(() => undefined);
      throw err;
    }
    c.bootMs = Date.now() - started;
    return c;
  }

  /** Runs a bash script as root inside the container (all its namespaces), with a clean environment. */
  sh(script: string, options: ShellOptions = {}): Promise<ShellResult> {
    if (this.initPid === 0) return Promise.resolve({ status: null, stdout: '', stderr: 'container not booted' });
    // `timeout` runs inside, so a script that overruns is killed there (killing nsenter would orphan it); exit 124.
    // Background jobs must redirect their output, or the pipes stay open until they end.
    const env = ['/usr/bin/env', '-i', `PATH=${PATH}`, 'HOME=/root', 'LANG=C.UTF-8', 'SYSTEMD_PAGER=', 'SYSTEMD_COLORS=0'];
    const ms = options.timeoutMs ?? 60_000;
    const inside = ['timeout', '-k', '5', `${ms / 1000}s`, 'bash', '-c', script];
    return run('nsenter', ['-t', String(this.initPid), '-a', '--', ...env, ...inside], { ...options, timeoutMs: ms + 10_000 });
  }

  /** `sh`, failing with the script's output when it does not exit 0; resolves to its stdout. */
  async ok(script: string, options: ShellOptions = {}): Promise<string> {
    const r = await this.sh(script, options);
    if (r.status !== 0) throw new Error(`in the container, exit ${r.status}: ${script}\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /**
   * Powers the container off (`systemctl poweroff`; after 30 s its PID 1 is killed, which ends every process in it),
   * then removes its cgroups, overlay and temporary directory. Rejects, after cleaning what it can, if any process,
   * mount or cgroup had to be forced or is left over, so a leak fails the run.
   */
  async dispose(): Promise<void> {
    const problems: string[] = [];
    const exited = new Promise<void>((resolve) => {
      if (this.nspawn.exitCode !== null || this.nspawn.signalCode !== null) resolve();
      else this.nspawn.once('exit', () => resolve());
    });
    const within = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref())]);
    if (this.initPid !== 0 && this.nspawn.exitCode === null) await this.sh('systemctl poweroff', { timeoutMs: 10_000 });
    else this.nspawn.kill('SIGTERM');
    if (!(await within(30_000))) {
      problems.push('the container did not power off within 30 s: killed');
      if (this.initPid !== 0) tryKill(this.initPid);
      if (!(await within(5000))) this.nspawn.kill('SIGKILL');
      await within(5000);
    }
    for (const c of this.cgroups) problems.push(...removeCgroup(c));
    const merged = join(this.dir, 'merged');
    for (let i = 0; isMounted(merged) && i < 20; i++) {
      await run('umount', [merged]);
      if (isMounted(merged)) await new Promise((r) => setTimeout(r, 250));
    }
    if (isMounted(merged)) {
      problems.push(`${merged} stayed busy: unmounted lazily`);
      await run('umount', ['-l', merged]);
    }
    await run('rm', ['-rf', '--one-file-system', this.dir]);
    if (existsSync(this.dir)) problems.push(`${this.dir} could not be removed`);
    if (problems.length > 0) throw new Error(`container ${this.name} teardown: ${problems.join('; ')}\n${this.console.slice(-4000)}`);
  }

  private async waitForBoot(timeoutMs: number): Promise<void> {
    const end = Date.now() + timeoutMs;
    let last = '';
    while (Date.now() < end) {
      if (this.spawnError) throw new Error(`cannot start systemd-nspawn: ${this.spawnError.message}`);
      if (this.nspawn.exitCode !== null) throw new Error(`systemd-nspawn exited ${this.nspawn.exitCode} while booting:\n${this.console}`);
      this.initPid ||= findInit(this.nspawn.pid!);
      if (this.initPid !== 0) {
        const r = await this.sh('systemctl is-system-running', { timeoutMs: 5000 });
        last = r.stdout.trim() || r.stderr.trim();
        if (last === 'running') return;
        if (last === 'degraded') throw new Error(`the container booted degraded:\n${(await this.sh('systemctl --failed --no-pager')).stdout}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the container did not boot within ${timeoutMs} ms (last state: ${last || 'no init yet'}):\n${this.console}`);
  }
}

/**
 * This machine's Node (it links only glibc, libstdc++ and libgcc, all in the root) and npm, into the overlay's upper
 * layer at /usr/local: on the PATH of root's shell and of every systemd service, as a NodeSource install would be.
 */
function stageNode(upper: string): void {
  const node = realpathSync(process.execPath);
  const npm = join(dirname(node), '..', 'lib', 'node_modules', 'npm');
  if (!existsSync(join(npm, 'bin', 'npm-cli.js'))) throw new Error(`npm not found beside ${node} (looked in ${npm})`);
  mkdirSync(join(upper, 'usr/local/bin'), { recursive: true });
  cpSync(node, join(upper, 'usr/local/bin/node'));
  cpSync(npm, join(upper, 'usr/local/lib/node_modules/npm'), { recursive: true });
  symlinkSync('../lib/node_modules/npm/bin/npm-cli.js', join(upper, 'usr/local/bin/npm'));
}
