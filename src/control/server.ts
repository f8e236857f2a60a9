/** Serves the control socket. A second daemon on the same data dir is refused: the socket answers. */
import { chmodSync, existsSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../log.js';
import type { Service } from '../services/service.js';
import { controlSocketPath, type ControlRequest, type ControlResponse } from './protocol.js';

export type ControlHandler = (req: ControlRequest) => ControlResponse | Promise<ControlResponse>;

const MAX_LINE = 64 * 1024;

export class ControlServer implements Service {
  readonly name = 'control socket';
  private server?: Server;
  private readonly sockets = new Set<Socket>();

  /** `dir` holds the socket: the data dir, or the runtime dir when the data dir is read-only. */
  constructor(
    private readonly dataDir: string,
    private readonly handle: ControlHandler,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    const path = controlSocketPath(this.dataDir);
    if (existsSync(path)) {
      // The data-dir lock (instance-lock.ts) already keeps a second daemon out: an answer here is a bug, not a race.
      if (await answers(path)) throw new Error(`another keypadd is already running on ${this.dataDir} (its control socket answers)`);
      unlinkSync(path); // left behind by a daemon that was killed
    }
    const server = createServer((socket) => this.serve(socket));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve());
    });
    chmodSync(path, 0o660);
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffer = '';
    // Answers go back in request order, also when one (a sync run) takes a while.
    let answered: Promise<void> = Promise.resolve();
    socket.on('data', (chunk) => {
      buffer += chunk.toString('utf8');
      if (buffer.length > MAX_LINE) {
        socket.end(JSON.stringify({ ok: false, error: 'request too long' }) + '\n');
        return;
      }
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        const answer = this.answer(line);
        answered = answered.then(async () => {
          const a = await answer;
          if (!socket.destroyed) socket.write(JSON.stringify(a) + '\n');
        });
      }
    });
  }

  private async answer(line: string): Promise<ControlResponse> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return { ok: false, error: 'request: not valid JSON' };
    }
    if (typeof req !== 'object' || req === null || typeof (req as { cmd?: unknown }).cmd !== 'string') {
      return { ok: false, error: 'request: needs a "cmd" string' };
    }
    try {
      return await this.handle(req as ControlRequest);
    } catch (err) {
      this.log.error(`control request failed: ${(err as Error).message}`);
      return { ok: false, error: (err as Error).message };
    }
  }
}

function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = createConnection(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}
