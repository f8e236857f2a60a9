/**
 * The MQTT publisher, on its own thread with its own database connection, so that replaying a backlog, building
 * JSON and saving the cursor never run on the main thread. It drains the event table in id order (so per-door
 * sequence order) at QoS 1, and moves the cursor only over events the broker has acknowledged. mqtt.js keeps
 * unsent messages in memory only (mqttjs #607, #398); here the database is the queue, mqtt.js only the transport.
 */
import mqtt from 'mqtt';
import { parentPort, workerData } from 'node:worker_threads';
import { lowerThreadPriority } from '../worker-threads.js';
import { backoffMs } from '../core/backoff.js';
import { eventView } from '../application/events.js';
import { openDatabase, type Db } from '../storage/database.js';
import { OutboxDrain, type Sent } from '../storage/outbox-drain.js';
import { MQTT_OUTBOX } from '../storage/outbox-repo.js';
import { CommandIntake } from './command-intake.js';
import { clientOptions, connectionProblem } from './connection.js';
import { RetainedTopics } from './retained-topics.js';
import { StateResume } from './state-resume.js';
import type { DoorState, FromPublisher, PublisherData, ToPublisher, StatusExtras } from './protocol.js';
import { StateGuard } from './state-guard.js';
import { topicProblem, topics } from './topics.js';

lowerThreadPriority(10);
const data = workerData as PublisherData;
const port = parentPort!;
const send = (m: FromPublisher) => port.postMessage(m);
const log = (level: 'error' | 'warn' | 'info' | 'debug', message: string) => send({ type: 'log', level, message });

let db: Db | null = null;
let outbox: OutboxDrain | null = null;
let openFailed = false;

/**
 * Opens the outbox when it can: a disk too full for SQLite's -shm file (or a read-only card with none) lets the
 * daemon start from a copy in memory, and the publisher keeps the broker informed meanwhile and tries again.
 */
function openOutbox(): OutboxDrain | null {
  if (outbox) return outbox;
  try {
    db = openDatabase(data.dataDir, { alreadyChecked: true, readonly: data.readonly });
    // Losing the latest cursor save to a power cut only repeats events (allowed); it must not cost an fsync each time.
    if (!data.readonly) db.pragma('synchronous = NORMAL');
    outbox = new OutboxDrain(db, MQTT_OUTBOX, WINDOW);
    if (openFailed) log('warn', 'the outbox opens again: publishing the stored events');
    openFailed = false;
  } catch (err) {
    if (!openFailed) log('error', `cannot open the outbox (${(err as Error).message}); events are published once it opens`);
    openFailed = true;
  }
  return outbox;
}
const t = topics(
  data.baseTopic,
  data.nodeId,
  data.doors.map((d) => d.id),
);
const startedAt = Date.now();
const WINDOW = 256;
openOutbox();
let connected = false;
let draining = false;
let drainQueued = false;
let cursorTimer: NodeJS.Timeout | undefined;
/** Reconnects since the last connection: the backoff's attempt. */
let reconnects = 0;
let alarmed = false;
// Untrusted until the daemon says otherwise (its first status arrives at once): signed commands fail closed.
let status: StatusExtras = { clock_trusted: false, storage_problem: null, last_sync: null, sync: null };
const states = new Map<number, string>();
const publishedStates = new Map<number, string>();

const s = data.settings;
const client = mqtt.connect(s.url, clientOptions(s, t.availability));

/**
 * Every publish goes through here: a topic the broker would refuse (+, #, NUL, an empty level) is logged and never
 * sent, since the broker answers it by dropping the connection, and mqtt.js would send it again on reconnect.
 */
function publish(topic: string, payload: string | Buffer, opts: { qos: 0 | 1; retain?: boolean }, done?: (err?: Error) => void): void {
  const problem = topicProblem(topic);
  if (problem) {
    log('error', `not publishing to ${JSON.stringify(topic)}: the topic ${problem}`);
    done?.(new Error(`topic ${problem}`));
    return;
  }
  client.publish(topic, payload, opts, done);
}

// Home Assistant cannot sign commands: with signed commands on, a door shows as a read-only lock sensor.
const retained = new RetainedTopics({
  discovery: {
    prefix: data.discoveryPrefix,
    node: data.nodeId,
    version: data.version,
    doors: data.doors,
    topics: t,
    commands: data.commands && data.commandAuth === null,
    requireCode: data.requireCode,
  },
  homeassistant: data.homeassistant,
  publish,
  db: () => (openOutbox() ? db : null),
  readonly: data.readonly,
  log,
});
const resume = new StateResume(() => (openOutbox() ? db : null));

const intake = new CommandIntake({
  topics: t,
  requireCode: data.requireCode,
  auth: data.commandAuth ? { key: Buffer.from(data.commandAuth.key), maxAgeMs: data.commandAuth.maxAgeMs } : null,
  clockTrusted: () => status.clock_trusted,
  execute: (doorId, command) => send({ type: 'command', doorId, command }),
  answer: (doorId, result) => {
    if (connected) publish(t.setResult(doorId), JSON.stringify(result), { qos: 1 });
  },
  refused: (summary) => send({ type: 'refused', summary }),
});

client.on('connect', () => {
  connected = true;
  reconnects = 0;
  client.options.reconnectPeriod = 1000;
  send({ type: 'connection', connected: true });
  log('info', `connected to ${s.url}; ${openOutbox()?.backlog() ?? 'unknown (outbox not open)'} events to publish`);
  publish(t.availability, 'online', { qos: 1, retain: true });
  // No command subscription while commands are off: a flood on the set topics then costs nothing at all.
  const subscriptions = [
    t.stateWildcard,
    ...(data.commands ? [t.setWildcard] : []),
    ...(data.homeassistant ? [`${data.discoveryPrefix}/status`] : []),
  ];
  client.subscribe(subscriptions, { qos: 1 });
  retained.announce();
  publishedStates.clear();
  for (const doorId of states.keys()) publishState(doorId);
  publishStatus();
  queueDrain();
});

client.on('close', () => {
  if (connected) log('warn', `disconnected from ${s.url}; events stay queued in the database`);
  connected = false;
  // Callbacks of this connection may never fire (mqttjs #1974): forget them and resend from the cursor.
  outbox?.reset();
  // The database is the outbox: what mqtt.js still holds would only be sent again on reconnect, and after a
  // protocol error (a topic the broker refused) that resend would drop the connection every time.
  for (const id of Object.keys(client.outgoing)) client.removeOutgoingMessage(Number(id));
  send({ type: 'connection', connected: false });
  reconnects++;
  client.options.reconnectPeriod = Math.round(backoffMs(reconnects, { firstMs: 1000, maxMs: s.reconnectMaxMs, jitter: 0.2 }));
});

client.on('error', (err: Error & { code?: number | string }) => log('error', `MQTT ${s.url}: ${connectionProblem(err)}; retrying`));

client.on('message', (topic, payload, packet) => {
  if (topic === `${data.discoveryPrefix}/status`) {
    if (payload.toString() === 'online') retained.publishDiscovery();
    return;
  }
  if (data.commands && intake.onMessage(topic, payload, packet.retain)) return;
  const stateDoor = t.doorOfState(topic);
  if (stateDoor !== null) stateSeen(stateDoor, payload);
});

const stateGuard = new StateGuard();
function stateSeen(doorId: number, payload: Buffer): void {
  if (!stateGuard.overwrite(doorId, payload.toString(), publishedStates.get(doorId))) return;
  log('warn', `door ${doorId}: someone else wrote its retained state topic; publishing the real state again (protect it with a broker ACL)`);
  publishedStates.delete(doorId);
  publishState(doorId);
}

function queueDrain(): void {
  if (drainQueued) return;
  drainQueued = true;
  setImmediate(() => {
    drainQueued = false;
    drain();
  });
}

function drain(): void {
  if (!connected || draining) return;
  draining = true;
  try {
    const drain = openOutbox();
    while (connected && drain && drain.inflight < WINDOW) {
      const batch = drain.next();
      if (batch.length === 0) {
        // Caught up: say so at once (the backlog sensor should not show a stale count for 10 s).
        if (drain.inflight === 0 && lastBacklog !== 0) publishStatus();
        break;
      }
      for (const sent of batch) publishEvent(drain, sent);
    }
  } catch (err) {
    log('error', `reading the outbox failed: ${(err as Error).message}`);
  } finally {
    draining = false;
  }
}

function publishEvent(drain: OutboxDrain, { row, generation }: Sent): void {
  publish(t.event(row.door_id), JSON.stringify(eventView(data.doors, row)), { qos: 1 }, (err) => {
    if (err) {
      if (generation === drain.generation) log('warn', `publishing event ${row.id} failed (${err.message}); it will be sent again`);
      return drain.fail(row.id, generation);
    }
    if (drain.ack(row.id, generation) && !cursorTimer) cursorTimer = setTimeout(saveCursor, 100);
    queueDrain();
  });
}

function saveCursor(): void {
  cursorTimer = undefined;
  if (data.readonly) return;
  try {
    outbox?.save();
  } catch (err) {
    log('error', `saving the outbox cursor failed: ${(err as Error).message}`);
  }
}

function publishState(doorId: number): void {
  const json = states.get(doorId);
  if (!connected || json === undefined || publishedStates.get(doorId) === json) return;
  publishedStates.set(doorId, json);
  publish(t.state(doorId), json, { qos: 1, retain: true });
}

let lastBacklog: number | null = null;

function publishStatus(): void {
  const backlog = outbox?.backlog() ?? 0;
  lastBacklog = backlog;
  const alarm = backlog > data.backlogAlarm && !alarmed;
  alarmed = backlog > data.backlogAlarm;
  send({ type: 'backlog', backlog, alarm });
  if (!connected) return;
  const body = { version: data.version, uptime_s: Math.round((Date.now() - startedAt) / 1000), outbox_backlog: backlog, ...status };
  publish(t.status, JSON.stringify(body), { qos: 1, retain: true });
}

const poll = setInterval(queueDrain, 1000);
const statusTimer = setInterval(publishStatus, 10_000);
const refusalTimer = setInterval(() => intake.flush(), 250);
// Retained state again now and then even when nothing changed: a forged state the broker kept is overwritten.
const stateTimer = setInterval(() => {
  publishedStates.clear();
  for (const doorId of states.keys()) publishState(doorId);
}, data.stateRefreshMs);

port.on('message', (m: ToPublisher) => {
  switch (m.type) {
    case 'wake':
      return queueDrain();
    case 'state':
      states.set(m.doorId, JSON.stringify(resume.merge(m.doorId, m.state satisfies DoorState)));
      return publishState(m.doorId);
    case 'status': {
      // Sent every 2 s; published at once only when the sync's state moved (a pull ended), else every 10 s.
      const key = (x: StatusExtras) =>
        JSON.stringify([
          x.clock_trusted,
          x.storage_problem,
          x.sync?.status,
          x.sync?.last_success_at,
          x.sync?.last_error,
          x.webhooks?.failing,
          x.webhooks?.retrying,
          x.webhooks?.parked,
        ]);
      const moved = key(m.status) !== key(status);
      status = m.status;
      if (moved && connected) publishStatus();
      return;
    }
    case 'command_result':
      if (connected) publish(t.setResult(m.doorId), JSON.stringify(m.result), { qos: 1 });
      return;
    case 'stop':
      return stop();
  }
});

function stop(): void {
  clearInterval(poll);
  clearInterval(statusTimer);
  clearInterval(refusalTimer);
  clearInterval(stateTimer);
  intake.flush(true);
  clearTimeout(cursorTimer);
  saveCursor();
  const finish = () => {
    db?.close();
    send({ type: 'stopped' });
    port.close();
  };
  if (!connected) {
    client.end(true, {}, finish);
    return;
  }
  // A clean stop says offline itself; the last will covers every other way of dying.
  retained.offline();
  publish(t.availability, 'offline', { qos: 1, retain: true }, () => client.end(false, {}, finish));
}
