/** A linked PTY pair from socat: the driver opens `device`, the test writes to `peer`. Killing socat is a disconnect. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';

export class PtyPair {
  readonly device: string;
  readonly peer: string;
  private proc?: ChildProcess;

  constructor(dir: string) {
    this.device = join(dir, 'keypad');
    this.peer = join(dir, 'peer');
  }

  async start(): Promise<void> {
    this.proc = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${this.device}`, `pty,raw,echo=0,link=${this.peer}`], { stdio: 'ignore' });
    const end = Date.now() + 5000;
    while (!(existsSync(this.device) && existsSync(this.peer))) {
      if (Date.now() > end) throw new Error('socat did not create the PTY pair');
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  write(text: string | Buffer): void {
    const fd = openSync(this.peer, 'w');
    try {
      writeSync(fd, typeof text === 'string' ? Buffer.from(text) : text);
    } finally {
      closeSync(fd);
    }
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
    // socat removes its links on exit; wait so a restart can create them again.
    const end = Date.now() + 2000;
    while (existsSync(this.device) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  }
}
