/**
 * Real storage faults for the faults group: a tmpfs that fills, a loop-mounted ext4 that goes read-only for real
 * (errors=remount-ro, then the kernel's trigger_fs_error), and libfaketime for clock jumps. Root may mount here;
 * elsewhere the group says so in a NOTICE and is skipped, except under CI=true, where it must run. Everything
 * mounted is unmounted in dispose(), also after a failure, and the loop devices are released.
 */
import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratch.js';

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Whether this process may mount (root, and a kernel that lets it); a NOTICE (or, under CI, a failure) when not. */
export function canMount(group: string): boolean {
  let why: string | null = null;
  if (process.getuid?.() !== 0) why = 'not running as root (mounting a tmpfs or a loop device needs root)';
  else {
    const probe = scratchDir('keypadd-mount-probe-');
    try {
      sh('mount', ['-t', 'tmpfs', '-o', 'size=1M', 'tmpfs', probe.dir]);
      sh('umount', [probe.dir]);
    } catch (err) {
      why = `mount is not permitted here (${(err as Error).message.split('\n')[0]})`;
    } finally {
      probe.remove();
    }
  }
  if (why === null) return true;
  if (process.env.CI === 'true') throw new Error(`${why}, and under CI=true the ${group} tests may not be skipped`);
  console.warn(`NOTICE: ${why}: skipping the ${group} tests`);
  return false;
}

/** libfaketime's library, or null when faketime is not installed (a NOTICE, or a failure under CI). */
export function faketimeLibrary(group: string): string | null {
  const found = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib/arm-linux-gnueabihf', '/usr/lib']
    .map((d) => join(d, 'faketime', 'libfaketime.so.1'))
    .find((p) => existsSync(p));
  if (found) return found;
  if (process.env.CI === 'true') throw new Error(`libfaketime is not installed, and under CI=true the ${group} tests may not be skipped`);
  console.warn(`NOTICE: libfaketime is not installed: skipping the ${group} clock-jump tests (apt-get install faketime)`);
  return null;
}

export class Mounts {
  private readonly mounted: string[] = [];
  private readonly images: string[] = [];
  private readonly scratch = scratchDir('keypadd-faults-');

  /** A tmpfs of `sizeKb` KiB: a disk that fills. */
  tmpfs(sizeKb: number): string {
    const dir = this.dir('tmpfs');
    sh('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k,mode=0755`, 'tmpfs', dir]);
    this.mounted.push(dir);
    return dir;
  }

  /** A loop-mounted ext4 image that goes read-only on errors; `fail()` makes it do so for real. */
  ext4(sizeMb: number): { dir: string; fail: () => void; remount: () => void } {
    const image = join(this.scratch.dir, `ext4-${this.images.length}.img`);
    sh('truncate', ['-s', `${sizeMb}M`, image]);
    sh('mkfs.ext4', ['-q', '-F', image]);
    this.images.push(image);
    const dir = this.dir('ext4');
    const mount = () => {
      sh('mount', ['-o', 'loop,errors=remount-ro', image, dir]);
      this.mounted.push(dir);
    };
    mount();
    const device = () => sh('findmnt', ['-n', '-o', 'SOURCE', dir]).trim().replace('/dev/', '');
    return {
      dir,
      // Writing to trigger_fs_error is an ext4 error as the kernel reports one; errors=remount-ro turns it read-only.
      // Written first: what the test wrote unsynced (the config file) would be lost with the aborted journal.
      fail: () => {
        sh('sync', ['-f', dir]);
        sh('sh', ['-c', `echo 1 > /sys/fs/ext4/${device()}/trigger_fs_error`]);
      },
      // After an error: unmount, check the file system (as an admin would), and mount it again, writable.
      remount: () => {
        this.unmount(dir);
        try {
          sh('e2fsck', ['-f', '-y', image]);
        } catch {
          // e2fsck exits 1 when it fixed something: that is the point.
        }
        mount();
      },
    };
  }

  /** Fills the file system holding `dir` with a file of its own; returns its path (delete it to free the space). */
  fill(dir: string, name = 'filler'): string {
    const path = join(dir, name);
    try {
      sh('dd', ['if=/dev/zero', `of=${path}`, 'bs=64k', 'status=none']);
    } catch {
      // dd ends with ENOSPC: the disk is full, which is the point.
    }
    return path;
  }

  private dir(kind: string): string {
    const dir = join(this.scratch.dir, `${kind}-${this.mounted.length + this.images.length}-${Date.now()}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  }

  private unmount(dir: string): void {
    try {
      sh('umount', [dir]);
    } catch {
      sh('umount', ['-l', dir]);
    }
    this.mounted.splice(this.mounted.indexOf(dir), 1);
  }

  dispose(): void {
    for (const dir of [...this.mounted].reverse()) {
      try {
        this.unmount(dir);
      } catch {
        // Gone already.
      }
    }
    for (const image of this.images) {
      for (const line of sh('losetup', ['-j', image]).split('\n').filter(Boolean)) {
        try {
          sh('losetup', ['-d', line.split(':')[0]!]);
        } catch {
          // Released with the unmount.
        }
      }
    }
    rmSync(this.scratch.dir, { recursive: true, force: true });
  }
}

/**
 * What every fault test ends with: the database passes its integrity check, each door's events are numbered without
 * a gap (from the first one kept), and ids only grow. Returns the events, oldest first.
 */
export function checkDatabase(
  dataDir: string,
): { id: number; door_id: number | null; door_seq: number | null; event_type: string; reason: string | null; uid: string; created_at: string }[] {
  const db = new Database(join(dataDir, 'keypadd.db'), { readonly: true });
  try {
    const check = db.pragma('integrity_check') as { integrity_check: string }[];
    if (check.map((r) => r.integrity_check).join() !== 'ok') throw new Error(`integrity check: ${JSON.stringify(check)}`);
    const rows = db.prepare(`SELECT id, door_id, door_seq, event_type, reason, uid, created_at FROM events ORDER BY id`).all() as ReturnType<
      typeof checkDatabase
    >;
    const doors = new Set(rows.map((r) => r.door_id).filter((d) => d !== null));
    for (const door of doors) {
      const seqs = rows.filter((r) => r.door_id === door).map((r) => r.door_seq!);
      seqs.forEach((s, i) => {
        if (s !== seqs[0]! + i) throw new Error(`door ${door}: door_seq gap at ${seqs[0]! + i} (got ${s})`);
      });
    }
    return rows;
  } finally {
    db.close();
  }
}

/** The files in a directory, for "nothing was created" checks. */
export const listing = (dir: string) => (existsSync(dir) ? readdirSync(dir).sort() : []);
