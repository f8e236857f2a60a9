/**
 * The daemon's side of the API: starts the worker, and answers its channel requests (door status, admit,
 * hold unlocked, back to normal) on the main thread, where the doors are.
 */
import { Worker } from 'node:worker_threads';
import { stopWorker, WORKER_LIMITS } from '../worker-threads.js';
import type { Config } from '../config/schema.js';
import type { DoorController } from '../door/door-controller.js';
import type { Logger } from '../log.js';
import type { ChannelRequest, FromApi, ToApi } from './protocol.js';

const WORKER = new URL('../../dist/api/api-worker.js', import.meta.url);

export class ApiHost {
  private worker?: Worker;
  private stopping = false;
  url: string | null = null;
  error: string | null = null;

  constructor(
    private readonly config: Config,
    private readonly doors: Map<number, DoorController>,
    private readonly log: Logger,
  ) {}

  start(): void {
    const worker = new Worker(WORKER, { workerData: { config: this.config }, resourceLimits: WORKER_LIMITS });
    this.worker = worker;
    worker.on('message', (m: FromApi) => this.onMessage(m));
    worker.on('error', (err) => {
      this.error = err.message;
      this.log.error(`API failed: ${err.message}`);
    });
    worker.on('exit', (code) => {
      if (this.stopping || this.error?.startsWith('cannot listen')) return;
      this.log.error(`API worker exited (${code}); restarting it`);
      setTimeout(() => this.start(), 1000).unref();
    });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.stopping = true;
    await stopWorker(worker, () => worker.postMessage({ type: 'stop' } satisfies ToApi), 2000);
  }

  private onMessage(m: FromApi): void {
    switch (m.type) {
      case 'log':
        return this.log[m.level](m.message);
      case 'listening':
        this.url = m.url;
        return this.log.info(`API listening on ${m.url}/api/3`);
      case 'failed':
        // The door works without its API: say why and carry on.
        this.error = m.message;
        return this.log.error(`API off: ${m.message}`);
      case 'channel': {
        let reply: ToApi;
        try {
          reply = { type: 'channel_result', id: m.id, ok: true, result: this.channel(m.call) };
        } catch (err) {
          const notFound = err instanceof Error && err.message.startsWith('no channel');
          reply = { type: 'channel_result', id: m.id, ok: false, status: notFound ? 404 : 500, body: { error: notFound ? 'not_found' : 'internal_error', error_description: (err as Error).message } };
        }
        this.worker?.postMessage(reply);
      }
    }
  }

  private channel(call: ChannelRequest): unknown {
    if (call.op === 'list') return [...this.doors.values()].map((d) => this.view(d));
    const door = this.doors.get(call.id);
    if (!door) throw new Error(`no channel ${call.id}`);
    if (call.op === 'admit') door.remoteUnlock(call.source);
    else if (call.op === 'unlock') door.holdUnlocked(call.source);
    else if (call.op === 'normal') door.backToNormal(call.source);
    return this.view(door);
  }

  /** A door as a DoorFlow channel, with its live status. */
  private view(door: DoorController): unknown {
    const s = door.status();
    const cfg = this.config.doors.find((d) => d.id === s.id)!;
    return {
      id: s.id,
      name: s.name,
      online: true,
      mode: s.held_unlocked ? 'unlocked' : 'normal',
      credential_mode: cfg.mode,
      relay: s.relay,
      door: s.door,
      lockout: s.lockout,
    };
  }
}
