/**
 * Home Assistant MQTT discovery: per door a lock, an event entity for access events, a door binary_sensor and a
 * last-access sensor; per controller an outbox-backlog sensor and a credential-sync sensor. Retained, tied to keypadd's availability topic.
 * Field names follow Home Assistant's MQTT lock / event / binary_sensor / sensor documentation.
 */
import { DOOR_SCOPED_EVENT_TYPES } from '../core/event-types.js';
import type { Topics } from './topics.js';
import { siteOperationMessages } from './site-discovery.js';

/**
 * What each door's event entity may show: every type that happens at a door, from the one table (Home Assistant
 * drops an event whose type is not listed, so the list cannot be a copy that falls behind).
 */
export const HA_EVENT_TYPES: readonly string[] = DOOR_SCOPED_EVENT_TYPES;

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

export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  const device = {
    identifiers: [`keypadd_${input.node}`],
    name: `keypadd ${input.node}`,
    manufacturer: 'keypadd',
    model: 'Door controller',
    sw_version: input.version,
  };
  const common = {
    availability_topic: input.topics.availability,
    payload_available: 'online',
    payload_not_available: 'offline',
    device,
    origin: { name: 'keypadd', sw_version: input.version },
  };
  const id = (object: string) => `keypadd_${input.node}_${object}`;
  const topic = (component: string, object: string) => `${input.prefix}/${component}/${input.node}/${object}/config`;
  const out: DiscoveryMessage[] = [];
  for (const door of input.doors) {
    const o = `door${door.id}`;
    out.push({
      topic: topic('binary_sensor', `${o}_lock`),
      payload: input.commands
        ? null
        : {
            ...common,
            name: `${door.name} lock`,
            unique_id: id(`${o}_lock_state`),
            device_class: 'lock', // on = unlocked
            state_topic: input.topics.state(door.id),
            value_template: '{{ value_json.lock }}',
            payload_on: 'unlocked',
            payload_off: 'locked',
          },
    });
    out.push({
      topic: topic('lock', o),
      payload: !input.commands
        ? null
        : {
            ...common,
            name: door.name,
            unique_id: id(`${o}_lock`),
            state_topic: input.topics.state(door.id),
            value_template: '{{ value_json.lock }}',
            state_locked: 'locked',
            state_unlocked: 'unlocked',
            command_topic: input.topics.set(door.id),
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
        state_topic: input.topics.event(door.id),
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
        state_topic: input.topics.state(door.id),
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
        state_topic: input.topics.state(door.id),
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
      state_topic: input.topics.status,
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
      state_topic: input.topics.status,
      value_template: "{{ value_json.sync.status if value_json.sync else 'off' }}",
      json_attributes_topic: input.topics.status,
      json_attributes_template: '{{ (value_json.sync or {}) | tojson }}',
      entity_category: 'diagnostic',
    },
  });
  out.push(...siteOperationMessages(input, common, id, topic));
  return out;
}
