/**
 * One daemon per data directory. The lock is a Linux abstract unix socket named after the data directory: binding it
 * is atomic, the kernel releases it when the process dies however it dies (no stale lock file after a SIGKILL or a
 * power cut), and it needs no writable file system (a data dir on a card that went read-only). Whoever holds it
 * answers a connection with its PID, so a second `keypadd run` can say which process to stop.
 *
 * Taken before anything touches hardware, storage, MQTT or an API port: a second daemon must not claim GPIO lines
 * that the running service drives, nor release them on its way out.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { resolve } from 'node:path';

export class AlreadyRunningError extends Error {
  override name = 'AlreadyRunningError';
  constructor(
    readonly dataDir: string,
    readonly pid: number | null,
  ) {
    super(
      `keypadd is already running on ${dataDir}${pid ? ` (PID ${pid})` : ''}: stop it first ` +
        '(`sudo systemctl stop keypadd`, or end the `keypadd run` in the other terminal)',
    );
  }
}

/** The abstract socket name for a data directory: the same for every path that leads to it. */
export function lockName(dataDir: string): string {
  let dir = resolve(dataDir);
  try {
    dir = realpathSync(dir);
  } catch {
    // Not made yet: the path as given.
  }
  return `\0keypadd-run-${createHash('sha256').update(dir).digest('hex').slice(0, 32)}`;
}

export class InstanceLock {
  private constructor(private readonly server: Server) {}

  /** Takes the lock for `dataDir`, or fails with AlreadyRunningError naming the holder. */
  static async acquire(dataDir: string): Promise<InstanceLock> {
    const name = lockName(dataDir);
    const server = createServer((socket) => socket.end(`${process.pid}\n`));
    server.unref();
    try {
      await new Promise<void>((ok, fail) => {
        server.once('error', fail);
        server.listen(name, () => ok());
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      throw new AlreadyRunningError(dataDir, await holderPid(name));
    }
    return new InstanceLock(server);
  }

  /** The daemon holding the lock for `dataDir` (its PID when it said), or null when none runs. */
  static async holder(dataDir: string): Promise<{ pid: number | null } | null> {
    const name = lockName(dataDir);
    const probe = createServer();
    try {
      await new Promise<void>((ok, fail) => {
        probe.once('error', fail);
        probe.listen(name, () => ok());
      });
      await new Promise<void>((ok) => probe.close(() => ok()));
      return null;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err;
      return { pid: await holderPid(name) };
    }
  }

  release(): Promise<void> {
    return new Promise((ok) => this.server.close(() => ok()));
  }
}

function holderPid(name: string): Promise<number | null> {
  return new Promise((done) => {
    let text = '';
    const c = createConnection(name);
    const timer = setTimeout(() => finish(), 1000);
    const finish = () => {
      clearTimeout(timer);
      c.destroy();
      const pid = Number.parseInt(text, 10);
      done(Number.isInteger(pid) && pid > 0 ? pid : null);
    };
    c.on('data', (d: Buffer) => (text += d.toString()));
    c.once('end', finish);
    c.once('error', finish);
  });
}
