/**
 * Home Assistant MQTT discovery: per door a lock, an event entity for access events, a door binary_sensor and a
 * last-access sensor; per controller an outbox-backlog sensor and a credential-sync sensor. Retained, tied to keypadd's availability topic.
 * Field names follow Home Assistant's MQTT lock / event / binary_sensor / sensor documentation.
 */
import type { Topics } from './topics.js';

export const HA_EVENT_TYPES = [
  'access_granted',
  'access_denied',
  'keypad_locked_out',
  'keypad_alarm',
  'rex',
  'door_opened',
  'door_closed',
  'door_held_open',
  'door_forced_open',
  'relay_forced_lock',
  'lockout_reset',
  'remote_unlock',
  'remote_lock',
  'command_refused',
  'tamper',
  'tamper_cleared',
  'reader_offline',
  'reader_online',
  'read_error',
] as const;

export interface DiscoveryInput {
  prefix: string;
  node: string;
  version: string;
  doors: readonly { id: number; name: string }[];
  topics: Topics;
  /** Whether the set topics are obeyed (mqtt.commands): a lock HA cannot operate is shown as a lock sensor instead. */
  commands: boolean;
}

export interface DiscoveryMessage {
  topic: string;
  /** null: an empty retained message, which removes an entity published before (a lock, when commands went off). */
  payload: Record<string, unknown> | null;
}

export function discoveryMessages(d: DiscoveryInput): DiscoveryMessage[] {
  const device = { identifiers: [`keypadd_${d.node}`], name: `keypadd ${d.node}`, manufacturer: 'keypadd', model: 'Door controller', sw_version: d.version };
  const common = {
    availability_topic: d.topics.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    device,
    origin: { name: 'keypadd', sw_version: d.version },
  };
  const id = (object: string) => `keypadd_${d.node}_${object}`;
  const topic = (component: string, object: string) => `${d.prefix}/${component}/${d.node}/${object}/config`;
  const out: DiscoveryMessage[] = [];
  for (const door of d.doors) {
    const o = `door${door.id}`;
    out.push({
      topic: topic('binary_sensor', `${o}_lock`),
      payload: d.commands
        ? null
        : {
            ...common,
            name: `${door.name} lock`,
            unique_id: id(`${o}_lock_state`),
            device_class: 'lock', // on = unlocked
            state_topic: d.topics.state(door.id),
            value_template: '{{ value_json.lock }}',
            payload_on: 'unlocked',
            payload_off: 'locked',
          },
    });
    out.push({
      topic: topic('lock', o),
      payload: !d.commands ? null : {
        ...common,
        name: door.name,
        unique_id: id(`${o}_lock`),
        state_topic: d.topics.state(door.id),
        value_template: '{{ value_json.lock }}',
        state_locked: 'locked',
        state_unlocked: 'unlocked',
        command_topic: d.topics.set(door.id),
        payload_unlock: '{"command":"unlock"}',
        payload_lock: '{"command":"lock"}',
        optimistic: false,
      },
    });
    out.push({
      topic: topic('event', `${o}_access`),
      payload: {
        ...common,
        name: `${door.name} access`,
        unique_id: id(`${o}_access`),
        state_topic: d.topics.event(door.id),
        event_types: [...HA_EVENT_TYPES],
      },
    });
    out.push({
      topic: topic('binary_sensor', `${o}_contact`),
      payload: {
        ...common,
        name: `${door.name} door`,
        unique_id: id(`${o}_contact`),
        device_class: 'door',
        state_topic: d.topics.state(door.id),
        value_template: '{{ value_json.door }}',
        payload_on: 'open',
        payload_off: 'closed',
      },
    });
    out.push({
      topic: topic('sensor', `${o}_last_access`),
      payload: {
        ...common,
        name: `${door.name} last access`,
        unique_id: id(`${o}_last_access`),
        state_topic: d.topics.state(door.id),
        value_template: "{{ value_json.last_access.label if value_json.last_access else 'none' }}",
        icon: 'mdi:door',
      },
    });
  }
  out.push({
    topic: topic('sensor', 'outbox_backlog'),
    payload: {
      ...common,
      name: 'Event outbox backlog',
      unique_id: id('outbox_backlog'),
      state_topic: d.topics.status,
      value_template: '{{ value_json.outbox_backlog }}',
      unit_of_measurement: 'events',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    },
  });
  // Credential sync health: "complete", "failing"... ("off" when this controller does not sync).
  out.push({
    topic: topic('sensor', 'sync_status'),
    payload: {
      ...common,
      name: 'Credential sync',
      unique_id: id('sync_status'),
      state_topic: d.topics.status,
      value_template: "{{ value_json.sync.status if value_json.sync else 'off' }}",
      json_attributes_topic: d.topics.status,
      json_attributes_template: '{{ (value_json.sync or {}) | tojson }}',
      entity_category: 'diagnostic',
    },
  });
  return out;
}
