/**
 * The daemon's side of MQTT: starts the publisher worker and feeds it; commands it receives come back here to be
 * executed and recorded on the main thread. Nothing here waits on the broker.
 */
import { SupervisedWorker } from '../worker-threads.js';
import type { Logger } from '../log.js';
import type { Command } from './commands.js';
import type { RefusalSummary } from './command-gate.js';
import type { CommandResult, DoorState, FromPublisher, PublisherData, ToPublisher, StatusExtras } from './protocol.js';

const WORKER = new URL('../../dist/mqtt/publisher-worker.js', import.meta.url);

/** Answers a command at once, or later (an unlock with a code is answered once its refusal is stored). */
export type CommandHandler = (doorId: number, command: Command) => CommandResult | Promise<CommandResult>;

export class MqttPublisher {
  private readonly worker: SupervisedWorker<ToPublisher, FromPublisher>;
  connected = false;
  /** Events not yet confirmed published, as last counted by the worker. */
  backlog = 0;

  constructor(
    private readonly data: PublisherData,
    private readonly log: Logger,
    private readonly onCommand: CommandHandler,
    private readonly onBacklogAlarm: (backlog: number) => void,
    private readonly onRefused: (summary: RefusalSummary) => void,
  ) {
    // The outbox is in the database: a restarted worker resumes from the saved cursor.
    this.worker = new SupervisedWorker({
      url: WORKER,
      name: 'publisher',
      workerData: data,
      onMessage: (m: FromPublisher) => this.onMessage(m),
      log,
      restartMs: 1000,
    });
  }

  start(): Promise<void> {
    return this.worker.start();
  }

  wake(): void {
    this.post({ type: 'wake' });
  }

  state(doorId: number, state: DoorState): void {
    this.post({ type: 'state', doorId, state });
  }

  status(status: StatusExtras): void {
    this.post({ type: 'status', status });
  }

  stop(): Promise<void> {
    return this.worker.stop({ type: 'stop' }, 3000);
  }

  private post(m: ToPublisher): void {
    this.worker.post(m);
  }

  private onMessage(m: FromPublisher): void {
    switch (m.type) {
      case 'log':
        this.log[m.level](m.message);
        return;
      case 'connection':
        this.connected = m.connected;
        return;
      case 'backlog':
        this.backlog = m.backlog;
        if (m.alarm) this.onBacklogAlarm(m.backlog);
        return;
      case 'command': {
        const failed = (err: unknown): CommandResult => ({ command: m.command.command, accepted: false, reason: (err as Error).message });
        const answer = (result: CommandResult) => this.post({ type: 'command_result', doorId: m.doorId, result });
        try {
          const result = this.onCommand(m.doorId, m.command);
          if (result instanceof Promise) result.then(answer, (err: unknown) => answer(failed(err)));
          else answer(result);
        } catch (err) {
          answer(failed(err));
        }
        return;
      }
      case 'refused':
        this.onRefused(m.summary);
        return;
      case 'stopped':
        return;
    }
  }
}
