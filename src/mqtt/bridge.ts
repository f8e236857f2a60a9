/**
 * Connects the running doors to the MQTT publisher: door state on every relay change and stored event, remote
 * commands executed on the doors (each one an event naming its source), and the outbox backlog alarm.
 */
import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { EventRow } from '../storage/event-repo.js';
import type { EventSink } from '../storage/event-writer.js';
import { connectionSettings, MqttSettingsError } from './connection.js';
import type { Command } from './commands.js';
import type { RefusalSummary } from './command-gate.js';
import type { CommandResult, StatusExtras } from './protocol.js';
import { doorState } from '../door/door-views.js';
import { doorPinRules } from '../config/policy.js';
import { ACCESS_EVENT_TYPES, type EventType } from '../core/event-types.js';
import { MqttPublisher } from './publisher.js';
import { newEvent, now } from '../storage/new-event.js';
import { runCommand, type CommandContext, type CommandOutcome, type DoorCommand } from '../commands/door-commands.js';
import type { EventBus } from '../services/bus.js';
import type { Service } from '../services/service.js';

export interface BridgeDeps {
  config: Config;
  /** Door changes, stored events, sync and storage news: what the retained state and status follow. */
  bus: EventBus;
  events: EventSink;
  log: Logger;
  version: string;
  clockTrusted: () => boolean;
  /** Storage in trouble, plainly, for the status topic; null when healthy. */
  storageProblem?: () => string | null;
  env: NodeJS.ProcessEnv;
  /** The data dir is read-only (the publisher keeps its cursor in memory). */
  readonly?: boolean;
  /** The credential sync, when configured: its health for the status topic. */
  sync?: { summary(): StatusExtras['sync'] & {} } | undefined;
  /** The webhooks' delivery, for the status topic. */
  webhooks?: () => StatusExtras['webhooks'];
  /** Where commands go (commands/door-commands.ts). */
  commands: CommandContext;
}

/** Retained state is published again at least this often (a forged one the broker kept is overwritten). */
const STATE_REFRESH_MS = 60_000;

/** Tests shorten some periods through KEYPADD_TEST_ variables; production keeps the defaults. */
function testOverride(value: string | undefined): number | undefined {
  const n = Number(value);
  return value !== undefined && Number.isFinite(n) && n > 0 ? n : undefined;
}

export class MqttBridge implements Service {
  readonly name = 'MQTT';
  private readonly unsubscribe: (() => void)[] = [];
  private readonly lastEvent = new Map<number, EventRow>();
  private readonly lastAccess = new Map<number, EventRow>();
  private publisher: MqttPublisher | null = null;
  /** Why MQTT is not running although configured (an unreadable CA or password file), for status. */
  error: string | null = null;

  constructor(private readonly deps: BridgeDeps) {}

  start(): void {
    const m = this.deps.config.mqtt;
    let settings;
    try {
      settings = connectionSettings(this.deps.config, this.deps.env);
    } catch (err) {
      // The door must keep working: run without MQTT and say why.
      if (!(err instanceof MqttSettingsError)) throw err;
      this.error = err.message;
      this.deps.log.error(`MQTT disabled: ${err.message}`);
      return;
    }
    if (!settings) return;
    this.publisher = new MqttPublisher(
      {
        dataDir: this.deps.config.data_dir,
        settings,
        baseTopic: m.base_topic,
        nodeId: m.node_id,
        doors: this.deps.config.doors.map((door) => {
          const rules = doorPinRules(this.deps.config, door);
          return { id: door.id, name: door.name, pin: { min: rules.min_length, max: rules.max_length } };
        }),
        homeassistant: m.homeassistant.enabled,
        requireCode: m.homeassistant.require_code,
        commands: m.commands,
        commandAuth: settings.commandKey ? { key: settings.commandKey, maxAgeMs: settings.commandMaxAgeMs } : null,
        stateRefreshMs: testOverride(this.deps.env.KEYPADD_TEST_STATE_REFRESH_MS) ?? STATE_REFRESH_MS,
        discoveryPrefix: m.discovery_prefix,
        backlogAlarm: this.deps.config.events.backlog_alarm,
        version: this.deps.version,
        readonly: this.deps.readonly === true,
      },
      this.deps.log.child('mqtt'),
      (door, command) => this.command(door, command),
      (backlog) => this.backlogAlarm(backlog),
      (summary) => this.refused(summary),
    );
    void this.publisher.start();
    // Clock trust at once: a signed command's time is checked only on a trusted clock.
    this.publishStatus();
    for (const id of this.deps.commands.doors.keys()) this.publishState(id);
    // State and status follow what happens (a door emits its lockout's end too): no polling.
    const bus = this.deps.bus;
    this.unsubscribe.push(
      bus.on('door.changed', ({ doorId }) => this.publishState(doorId)),
      bus.on('event.recorded', (row) => this.recorded(row)),
      bus.on('sync.changed', () => this.publishStatus()),
      bus.on('storage.changed', () => this.publishStatus()),
      bus.on('clock.changed', () => this.publishStatus()),
    );
  }

  /** Republishes clock trust and sync health (also called when a pull ends). */
  publishStatus(): void {
    const sync = this.deps.sync?.summary() ?? null;
    this.publisher?.status({
      clock_trusted: this.deps.clockTrusted(),
      storage_problem: this.deps.storageProblem?.() ?? null,
      last_sync: sync?.last_success_at ?? null,
      sync,
      webhooks: this.deps.webhooks?.() ?? null,
    });
  }

  get enabled(): boolean {
    return this.publisher !== null;
  }

  status(): { enabled: boolean; connected: boolean; backlog: number | null; error: string | null } {
    return { enabled: this.enabled, connected: this.publisher?.connected ?? false, backlog: this.publisher?.backlog ?? null, error: this.error };
  }

  /** A stored event: publish it (the worker reads it from the database) and refresh its door's state. */
  private recorded(row: EventRow): void {
    if (!this.publisher) return;
    this.publisher.wake();
    if (row.door_id === null) return;
    this.lastEvent.set(row.door_id, row);
    if (ACCESS_EVENT_TYPES.includes(row.event_type as EventType)) this.lastAccess.set(row.door_id, row);
    this.publishState(row.door_id);
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    await this.publisher?.stop();
    this.publisher = null;
  }

  private publishState(doorId: number): void {
    const door = this.deps.commands.doors.get(doorId);
    if (!this.publisher || !door) return;
    this.publisher.state(doorId, doorState(door.status(), this.lastEvent.get(doorId), this.lastAccess.get(doorId)));
  }

  /** A command that passed the worker's checks (door, signature, format, rate): executed here, on the doors' thread. */
  private command(doorId: number, command: Command): CommandResult | Promise<CommandResult> {
    const door = this.deps.commands.doors.get(doorId);
    const name = command.command;
    const refuse = (why: string): CommandResult => {
      this.refused({ doorId, count: 1, reasons: { [why]: 1 }, commands: { [name]: 1 } });
      return { command: name, accepted: false, reason: why };
    };
    if (!door) return { command: name, accepted: false, reason: `door: no door ${doorId}` };
    if (!this.deps.config.mqtt.commands) return refuse('commands are disabled (mqtt.commands: false)');
    if (command.command === 'sync_now') {
      if (!this.deps.commands.sync) return refuse('sync is not configured on this controller');
      // The pull's outcome is its own event (sync_completed / sync_failed); the command is accepted now.
      void runCommand(this.deps.commands, { op: 'sync_now' }, 'mqtt');
      return { command: name, accepted: true };
    }
    if (command.command === 'unlock' && command.code !== undefined) {
      // Refused codes are access_denied events of their own (counted by the keypad's lockout), not command_refused.
      const done = runCommand(
        this.deps.commands,
        { op: 'admit_with_pin', door: doorId, pin: command.code, ...(command.durationMs !== undefined ? { durationMs: command.durationMs } : {}) },
        'mqtt',
      );
      return Promise.resolve(done).then((outcome) =>
        outcome.ok ? { command: name, accepted: true } : { command: name, accepted: false, reason: outcome.reason },
      );
    }
    // Door commands answer at once (only sync_now, handled above, waits on anything).
    const outcome = runCommand(this.deps.commands, mqttDoorCommand(doorId, command), 'mqtt') as CommandOutcome;
    if (!outcome.ok) return refuse(outcome.reason);
    return { command: name, accepted: true };
  }

  /** One command_refused event for a door's refusals of the last second, with their count and reasons. */
  private refused(s: RefusalSummary): void {
    const door = this.deps.config.doors.find((x) => x.id === s.doorId);
    if (!door) return;
    const [reason] = Object.entries(s.reasons).sort((a, b) => b[1] - a[1])[0] ?? ['refused'];
    const what = s.count === 1 ? 'a command' : `${s.count} commands`;
    this.deps.log.warn(
      `door ${door.id}: ${what} from mqtt refused: ${Object.entries(s.reasons)
        .map(([r, n]) => `${r} (${n})`)
        .join('; ')}`,
    );
    const label = `${door.name}: ${what} from mqtt refused: ${reason}${Object.keys(s.reasons).length > 1 ? ' (and others)' : ''}`;
    const detail = { count: s.count, reasons: s.reasons, commands: s.commands };
    this.deps.events.record(
      newEvent('command_refused', { door_id: door.id, event_label: label, source: 'mqtt', reason, detail }, now(this.deps.clockTrusted())),
    );
  }

  private backlogAlarm(backlog: number): void {
    this.deps.log.error(`${backlog} events are waiting to be published (alarm at ${this.deps.config.events.backlog_alarm}); none will be pruned`);
    this.deps.events.record(
      newEvent(
        'outbox_backlog_alarm',
        { door_id: null, event_label: `${backlog} events waiting to be published over MQTT`, detail: { backlog } },
        now(),
      ),
    );
  }
}

/** An MQTT command as the command table's DoorCommand (sync_now is handled before). */
function mqttDoorCommand(door: number, command: Command): DoorCommand {
  const cards = { card: true, rex: false, aux: false };
  const cardsAndRex = { card: true, rex: true, aux: false };
  switch (command.command) {
    case 'unlock':
      return { op: 'admit', door, ...(command.durationMs !== undefined ? { durationMs: command.durationMs } : {}) };
    case 'lock':
    case 'lockout_reset':
    case 'unlockdown':
      return { op: command.command, door };
    case 'lockdown':
      return { op: 'lockdown', door, ...cards };
    case 'lockdown_rex':
      return { op: 'lockdown', door, ...cardsAndRex };
    case 'hold_unlocked':
      return { op: 'hold_unlocked', door };
    case 'normal':
      return { op: 'back_to_normal', door };
    case 'site_lockdown':
      return { op: 'site_lockdown', ...cards };
    case 'site_lockdown_rex':
      return { op: 'site_lockdown', ...cardsAndRex };
    case 'site_unlockdown':
      return { op: 'site_unlockdown' };
    case 'sync_now':
      return { op: 'sync_now' };
  }
}
