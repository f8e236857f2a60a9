/**
 * The daemon's side of the API: starts the worker, and answers its channel requests (door status, admit,
 * hold unlocked, back to normal) on the main thread, where the doors are.
 */
import { SupervisedWorker } from '../worker-threads.js';
import type { Config } from '../config/schema.js';
import type { DoorController } from '../door/door-controller.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import type { ChannelRequest, FromApi, ToApi } from './protocol.js';
import { apiExposure } from './exposure.js';

const WORKER = new URL('../../dist/api/api-worker.js', import.meta.url);

export class ApiHost {
  private readonly worker: SupervisedWorker<ToApi, FromApi>;
  url: string | null = null;
  error: string | null = null;

  constructor(
    private readonly config: Config,
    private readonly doors: Map<number, DoorController>,
    private readonly log: Logger,
    private readonly events: EventSink,
    /** The data dir is read-only: the API answers reads, and refuses changes with 503. */
    readonly = false,
  ) {
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'API worker',
      workerData: { config, readonly },
      onMessage: (m: FromApi) => this.onMessage(m),
      log,
      restartMs: 1000,
      onError: (err) => (this.error = err.message),
      // A port that cannot be bound will not be bound by trying again.
      restartIf: () => !this.error?.startsWith('cannot listen'),
    });
  }

  start(): void {
    this.worker.start();
  }

  stop(): Promise<void> {
    return this.worker.stop({ type: 'stop' }, 2000);
  }

  private onMessage(m: FromApi): void {
    switch (m.type) {
      case 'log':
        return this.log[m.level](m.message);
      case 'listening':
        this.url = m.url;
        this.log.info(`API listening on ${m.url}/api/3`);
        if (apiExposure(this.config)) this.log.warn(`${apiExposure(this.config)!}; set api.cert_file and api.key_file, or listen on 127.0.0.1`);
        return;
      case 'failed':
        // The door works without its API: say why and carry on.
        this.error = m.message;
        return this.log.error(`API off: ${m.message}`);
      case 'event':
        return this.events.record(m.event);
      case 'channel': {
        let reply: ToApi;
        try {
          reply = { type: 'channel_result', id: m.id, ok: true, result: this.channel(m.call) };
        } catch (err) {
          const notFound = err instanceof Error && err.message.startsWith('no channel');
          reply = { type: 'channel_result', id: m.id, ok: false, status: notFound ? 404 : 500, body: { error: notFound ? 'not_found' : 'internal_error', error_description: (err as Error).message } };
        }
        this.worker.post(reply);
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
