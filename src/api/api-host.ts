/**
 * The daemon's side of the API: starts the worker, and answers its channel requests on the main thread, where the
 * doors are: the channels' status (door-views.ts), and admit, hold unlocked and back to normal through the command
 * table.
 */
import { SupervisedWorker } from '../worker-threads.js';
import type { Config } from '../config/schema.js';
import { runCommand, type CommandContext, type CommandOutcome } from '../commands/door-commands.js';
import { channelView, type ControllerIdentity } from '../door/door-views.js';
import { controllerIdentity } from './identity.js';
import type { Service } from '../services/service.js';
import type { Logger } from '../log.js';
import type { EventSink } from '../storage/event-writer.js';
import type { ChannelRequest, CommandAnswer, FromApi, ToApi } from './protocol.js';
import { apiExposure, webExposure } from './exposure.js';
import type { ConfigProvenance } from '../config/origins.js';

const WORKER = new URL('../../dist/api/api-worker.js', import.meta.url);

export class ApiHost implements Service {
  readonly name = 'API';
  private readonly worker: SupervisedWorker<ToApi, FromApi>;
  url: string | null = null;
  error: string | null = null;
  private readonly identity: ControllerIdentity = controllerIdentity();

  constructor(
    private readonly config: Config,
    private readonly commands: CommandContext,
    private readonly log: Logger,
    private readonly events: EventSink,
    /** The data dir is read-only: the API answers reads, and refuses changes with 503. */
    readonly = false,
    /** Where the configuration came from (the console's settings page). */
    provenance: ConfigProvenance = { source: 'unknown', origins: {} },
  ) {
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'API worker',
      workerData: { config, readonly, provenance },
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
      case 'web_listening':
        this.log.info(`console listening on ${m.url}/`);
        if (webExposure(this.config))
          this.log.warn(`${webExposure(this.config)!}; set web.tls.cert_file and web.tls.key_file, or listen on 127.0.0.1`);
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
          const e = err as Error & { status?: number };
          const status = e.status ?? (e.message.startsWith('no channel') ? 404 : 500);
          const error = ({ 404: 'not_found', 409: 'conflict', 422: 'unprocessable_entity' } as Record<number, string>)[status] ?? 'internal_error';
          reply = { type: 'channel_result', id: m.id, ok: false, status, body: { error, error_description: e.message } };
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
        this.identity,
      );
    if (call.op === 'list') return [...this.commands.doors.keys()].map(view);
    if (call.op === 'sync') return this.syncNow(call.source);
    if (!this.commands.doors.has(call.id)) throw new Error(`no channel ${call.id}`);
    if (call.op === 'get') return view(call.id);
    // Door commands answer at once (only sync_now is asynchronous, and it is no door command).
    const outcome = runCommand(this.commands, { ...call.command, door: call.id }, call.source) as CommandOutcome;
    if (!outcome.ok) {
      const status = outcome.kind === 'not_found' ? 404 : /^[a-z_]+: /.test(outcome.reason) ? 422 : 409;
      throw Object.assign(new Error(outcome.reason), { status });
    }
    const answer: CommandAnswer = { result: outcome.result, channel: view(call.id) };
    return answer;
  }
}
