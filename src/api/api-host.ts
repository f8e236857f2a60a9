/**
 * The daemon's side of the API: starts the worker, and answers its channel requests on the main thread, where the
 * doors are: the channels' status (door-views.ts), and admit, hold unlocked and back to normal through the command
 * table.
 */
import { SupervisedWorker } from '../worker-threads.js';
import type { Config } from '../config/schema.js';
import { runCommand, type CommandContext, type CommandOutcome } from '../commands/door-commands.js';
import { channelView } from '../door/door-views.js';
import type { Service } from '../services/service.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import type { ChannelRequest, FromApi, ToApi } from './protocol.js';
import { apiExposure } from './exposure.js';

const WORKER = new URL('../../dist/api/api-worker.js', import.meta.url);

export class ApiHost implements Service {
  readonly name = 'API';
  private readonly worker: SupervisedWorker<ToApi, FromApi>;
  url: string | null = null;
  error: string | null = null;

  constructor(
    private readonly config: Config,
    private readonly commands: CommandContext,
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

  start(): Promise<void> {
    return this.worker.start();
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
          reply = {
            type: 'channel_result',
            id: m.id,
            ok: false,
            status: notFound ? 404 : 500,
            body: { error: notFound ? 'not_found' : 'internal_error', error_description: (err as Error).message },
          };
        }
        this.worker.post(reply);
      }
    }
  }

  /** Starts a pull and answers at once: the door's thread never waits for the upstream, nor does the client. */
  private syncNow(source: string): unknown {
    if (!this.commands.sync) return { result: 'ok', started: false, reason: 'no upstream is configured (sync.url): nothing to pull' };
    void Promise.resolve(runCommand(this.commands, { op: 'sync_now' }, source)).catch((err: Error) =>
      this.log.error(`sync asked over the API failed: ${err.message}`),
    );
    this.log.info(`sync asked by ${source}`);
    return { result: 'ok', started: true };
  }

  private channel(call: ChannelRequest): unknown {
    const view = (id: number) =>
      channelView(
        this.commands.doors.get(id)!.status(),
        this.config.doors.find((d) => d.id === id)!,
      );
    if (call.op === 'list') return [...this.commands.doors.keys()].map(view);
    if (call.op === 'sync') return this.syncNow(call.source);
    if (!this.commands.doors.has(call.id)) throw new Error(`no channel ${call.id}`);
    if (call.op !== 'get') {
      // DoorFlow's channel operations, as the command table names them; a door command answers at once.
      const op = ({ admit: 'admit', unlock: 'hold_unlocked', normal: 'back_to_normal' } as const)[call.op];
      const outcome = runCommand(this.commands, { op, door: call.id }, call.source) as CommandOutcome;
      if (!outcome.ok) throw new Error(outcome.reason);
    }
    return view(call.id);
  }
}
