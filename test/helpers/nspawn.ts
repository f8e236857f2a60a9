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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { haveCommand } from './broker.js';
import { ensureRoot, HOSTNAME } from './nspawn-root.js';

/** The output of one shell script run inside the container. */
export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface BootOptions {
  /** Host paths bound read-only into the container, host path -> container path. */
  bindReadOnly?: Record<string, string>;
  /** How long the boot may take to reach `running` (default 60 s; the first boot of a loaded machine is slow). */
  timeoutMs?: number;
}

export interface ShellOptions {
  /** The script is killed after this (default 60 s). */
  timeoutMs?: number;
  input?: string;
}

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const PREFIX = 'keypadd-nspawn-';

/**
 * Where to skip: nspawn and debootstrap must be installed and the tests must run as root. The group is skipped with
 * a NOTICE line elsewhere, and fails under CI=true (as requireTool does for the other groups' tools).
 */
export function requireNspawn(group: string): boolean {
  const missing = ['systemd-nspawn', 'debootstrap', 'nsenter', 'flock', 'setpriv'].filter((c) => !haveCommand(c));
  const why = missing.length > 0 ? `${missing.join(', ')} not installed` : process.getuid?.() !== 0 ? 'not running as root' : null;
  if (why === null) return true;
  if (process.env.CI === 'true') throw new Error(`${why}, and under CI=true the ${group} tests may not be skipped (apt-get install debootstrap systemd-container; run as root)`);
  console.warn(`NOTICE: ${why}: skipping the ${group} tests (as root: apt-get install debootstrap systemd-container)`);
  return false;
}

export class Container {
  /** Milliseconds from starting systemd-nspawn to `systemctl is-system-running` saying running. */
  bootMs = 0;
  /** The console: systemd's boot and shutdown messages (the last 64 KB), for failure messages. */
  console = '';
  private initPid = 0;

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
    await run('mount', ['-t', 'overlay', 'overlay', '-o', `lowerdir=${root},upperdir=${dir}/upper,workdir=${dir}/work`, join(dir, 'merged')]);

    // The host's cgroups are hybrid: nspawn needs its own cgroup in both hierarchies, and the unified one inside
    // (SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1, like Raspberry Pi OS). Its shell joins them, then execs nspawn.
    const cgroups = cgroupRoots().map((r) => join(r, name));
    for (const c of cgroups) mkdirSync(c);
    const binds = Object.entries(options.bindReadOnly ?? {}).map(([host, inside]) => `--bind-ro=${host}:${inside}`);
    // No machined or D-Bus on the host: --register=no --keep-unit. Without bpf the container's systemd silently
    // ignores DevicePolicy=/DeviceAllow=, which the unit relies on. setpriv: if the test process dies, nspawn gets
    // SIGTERM, which it turns into a clean poweroff of the container.
    const args = ['-D', join(dir, 'merged'), '--boot', '--register=no', '--keep-unit', '--private-network', '--system-call-filter=bpf', '--console=read-only', `--machine=${name}`, `--hostname=${HOSTNAME}`, ...binds];
    const script = 'for c in "$@"; do [ "$c" = -- ] && break; echo $$ > "$c/cgroup.procs"; shift; done; shift; export SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1; exec systemd-nspawn "$@"';
    const nspawn = spawn('setpriv', ['--pdeathsig', 'SIGTERM', '--', 'bash', '-c', script, 'nspawn', ...cgroups, '--', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const c = new Container(name, dir, nspawn, cgroups);
    const keep = (b: Buffer) => (c.console = (c.console + b.toString()).slice(-65536));
    nspawn.stdout!.on('data', keep);
    nspawn.stderr!.on('data', keep);
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
    const within = (ms: number) => Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]);
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

/** Runs a host command; never rejects (a non-zero status or a timeout is in the result). */
function run(cmd: string, args: string[], options: ShellOptions = {}): Promise<ShellResult> {
  return new Promise((resolve) => {
    const proc = spawn(cmd, args, { stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(killed after ${options.timeoutMs ?? 60_000} ms)`;
      proc.kill('SIGKILL');
    }, options.timeoutMs ?? 60_000);
    proc.once('error', (err) => {
      clearTimeout(timer);
      resolve({ status: null, stdout, stderr: stderr + err.message });
    });
    proc.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
    if (options.input !== undefined) {
      proc.stdin!.on('error', () => undefined); // a script that exits without reading its input
      proc.stdin!.end(options.input);
    }
  });
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

function cgroupRoots(): string[] {
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs') && existsSync('/sys/fs/cgroup/systemd/cgroup.procs')) return ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup']; // a pure v2 host
  throw new Error('no usable cgroup hierarchy: need /sys/fs/cgroup/unified and /sys/fs/cgroup/systemd (hybrid) or cgroup2 at /sys/fs/cgroup');
}

/**
 * The container's systemd: the descendant of nspawn that is PID 1 in its own PID namespace (0 until it exists).
 * Parents come from /proc/PID/stat (this kernel has no /proc/PID/task/TID/children).
 */
function findInit(nspawnPid: number): number {
  const parent = new Map<number, number>();
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = safeRead(`/proc/${e}/stat`);
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (ppid) parent.set(Number(e), ppid);
  }
  const descends = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined; p = parent.get(p)) if (p === nspawnPid) return true;
    return false;
  };
  for (const pid of parent.keys()) {
    const nspid = /^NSpid:\s+(.*)$/m.exec(safeRead(`/proc/${pid}/status`))?.[1]?.trim().split(/\s+/);
    if (nspid && nspid.length > 1 && nspid.at(-1) === '1' && descends(pid)) return pid;
  }
  return 0;
}

/** Removes a cgroup and its children, deepest first; a process still in one is killed and reported. */
function removeCgroup(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const problems: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) problems.push(...removeCgroup(join(dir, e.name)));
  const pids = safeRead(join(dir, 'cgroup.procs')).split('\n').filter(Boolean).map(Number);
  if (pids.length > 0) {
    problems.push(`processes ${pids.join(', ')} were left in ${dir}: killed`);
    pids.forEach(tryKill);
  }
  for (let i = 0; i < 20; i++) {
    try {
      rmdirSync(dir);
      return problems;
    } catch {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50); // a killed process leaves its cgroup shortly after
    }
  }
  return [...problems, `cgroup ${dir} could not be removed`];
}

/** What a killed test run left behind (its pid is in the names): its overlay, directory and cgroups. */
function sweepStale(): void {
  const dead = (name: string) => {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(name)?.[1]);
    if (!pid) return false;
    try {
      process.kill(pid, 0);
      return false;
    } catch {
      return true;
    }
  };
  for (const name of readdirSync(tmpdir()).filter(dead)) {
    const dir = join(tmpdir(), name);
    if (isMounted(join(dir, 'merged'))) spawnQuiet('umount', ['-l', join(dir, 'merged')]);
    if (!isMounted(join(dir, 'merged'))) spawnQuiet('rm', ['-rf', '--one-file-system', dir]);
  }
  for (const root of cgroupRoots()) for (const name of readdirSync(root).filter(dead)) removeCgroup(join(root, name));
}

/** Synchronous on purpose: the sweep must finish before a new container is mounted. */
function spawnQuiet(cmd: string, args: string[]): void {
  spawnSync(cmd, args, { stdio: 'ignore' });
}

function isMounted(path: string): boolean {
  return safeRead('/proc/self/mountinfo').split('\n').some((l) => l.split(' ')[4] === path);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
