/**
 * The host side of test/helpers/nspawn.ts: running commands, the cgroups nspawn runs in, finding the container's
 * PID 1, and removing what a container (or a killed test run) left behind. Root only, Linux only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The output of one command, on the host or (through nsenter) in a container. */
export interface ShellResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export interface ShellOptions {
  /** The command is killed after this (default 60 s). */
  timeoutMs?: number;
  input?: string;
}

/** Names of everything a container makes on the host (temp dir, cgroups), with the creating pid for the sweep. */
export const PREFIX = 'keypadd-nspawn-';

/** Runs a host command; never rejects (a non-zero status or a timeout is in the result). */
export function run(cmd: string, args: string[], options: ShellOptions = {}): Promise<ShellResult> {
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

/** The cgroup hierarchies nspawn must be placed in: both on a hybrid host (this one), the one on a v2 host. */
export function cgroupRoots(): string[] {
  if (existsSync('/sys/fs/cgroup/unified/cgroup.procs') && existsSync('/sys/fs/cgroup/systemd/cgroup.procs'))
    return ['/sys/fs/cgroup/unified', '/sys/fs/cgroup/systemd'];
  if (existsSync('/sys/fs/cgroup/cgroup.controllers')) return ['/sys/fs/cgroup']; // a pure v2 host
  throw new Error('no usable cgroup hierarchy: need /sys/fs/cgroup/unified and /sys/fs/cgroup/systemd (hybrid) or cgroup2 at /sys/fs/cgroup');
}

/**
 * The container's systemd: the descendant of nspawn that is PID 1 in its own PID namespace (0 until it exists).
 * Parents come from /proc/PID/stat (this kernel has no /proc/PID/task/TID/children).
 */
export function findInit(nspawnPid: number): number {
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
    const nspid = /^NSpid:\s+(.*)$/m
      .exec(safeRead(`/proc/${pid}/status`))?.[1]
      ?.trim()
      .split(/\s+/);
    if (nspid && nspid.length > 1 && nspid.at(-1) === '1' && descends(pid)) return pid;
  }
  return 0;
}

/** Removes a cgroup and its children, deepest first; a process still in one is killed and reported. */
export function removeCgroup(dir: string): string[] {
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
export function sweepStale(): void {
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

export function isMounted(path: string): boolean {
  return safeRead('/proc/self/mountinfo')
    .split('\n')
    .some((l) => l.split(' ')[4] === path);
}

function safeRead(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

export function tryKill(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
