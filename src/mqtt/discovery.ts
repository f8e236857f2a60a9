/**
 * Home Assistant MQTT discovery. The controller is one device (the outbox-backlog and credential-sync sensors); each
 * door is a device of its own, reached `via_device` the controller, so it can be put in an area. A door's entities are
 * named as Home Assistant composes names (`has_entity_name`: "Front Door" + "Access"), and each is available only
 * while both the controller and its door say `online`. Every entity is a row of DOOR_ENTITIES or CONTROLLER_ENTITIES:
 * a new one (a lockdown switch) is one more row built with `entity()`, and gets the device, naming and availability
 * rules for free. Field names follow Home Assistant's MQTT lock / event / binary_sensor / sensor documentation.
 */
import { DOOR_SCOPED_EVENT_TYPES } from '../core/event-types.js';
import type { Topics } from './topics.js';
import { SITE_CONTROLLER_ENTITIES, SITE_DOOR_ENTITIES } from './site-discovery.js';

/**
 * What each door's event entity may show: every type that happens at a door, from the one table (Home Assistant
 * drops an event whose type is not listed, so the list cannot be a copy that falls behind).
 */
export const HA_EVENT_TYPES: readonly string[] = DOOR_SCOPED_EVENT_TYPES;

/** The credential sync's states (sync-state.ts), and `off` when this controller does not sync: the enum sensor's options. */
export const SYNC_STATUSES = ['complete', 'failing', 'syncing', 'pending', 'off'] as const;

export interface DiscoveryDoor {
  id: number;
  name: string;
  /** The PIN lengths this door takes: with require_code, Home Assistant asks for a code of these lengths. */
  pin: { min: number; max: number };
}

export interface DiscoveryInput {
  prefix: string;
  node: string;
  version: string;
  doors: readonly DiscoveryDoor[];
  topics: Topics;
  /** Whether Home Assistant may operate the locks (mqtt.commands on, and unsigned): otherwise a read-only lock sensor. */
  commands: boolean;
  /** mqtt.homeassistant.require_code: every unlock carries a PIN that HA asks for. */
  requireCode: boolean;
}

export interface DiscoveryMessage {
  topic: string;
  /** null: an empty retained message, which removes an entity published before (a lock, when commands went off). */
  payload: Record<string, unknown> | null;
}

/** What a row needs to build its entity: the input, and the one way to make an entity for a door or the controller. */
export interface EntityContext {
  input: DiscoveryInput;
  /**
   * One entity: its discovery topic is <prefix>/<component>/<node>/<object>/config, its unique_id keypadd_<node>_<id>
   * (`id` defaults to `object`), its device the door's (or the controller's, door null). `name` is the entity's own
   * part, which HA shows after the device's name (null: the device's name alone). A null `fields` removes the entity
   * (an empty retained config).
   */
  entity(what: EntityKey, fields: Record<string, unknown> | null): DiscoveryMessage;
}

export interface EntityKey {
  component: string;
  object: string;
  id?: string;
  door: DiscoveryDoor | null;
  name: string | null;
}

type DoorRow = (ctx: EntityContext, door: DiscoveryDoor) => DiscoveryMessage;
type ControllerRow = (ctx: EntityContext) => DiscoveryMessage;

/** The state topic fields of a door's entities: its retained state, read with a template. */
const fromState = (ctx: EntityContext, door: DiscoveryDoor, template: string) => ({
  state_topic: ctx.input.topics.state(door.id),
  value_template: template,
});

// unique_ids are kept from before devices were per door, so Home Assistant keeps each entity's history and settings.
export const DOOR_ENTITIES: DoorRow[] = [
  // The lock itself carries the door's name (name null), when Home Assistant may operate it...
  (ctx, door) =>
    ctx.entity(
      { component: 'lock', object: `door${door.id}`, id: `door${door.id}_lock`, door, name: null },
      ctx.input.commands ? lockFields(ctx, door) : null,
    ),
  // ...and otherwise a read-only lock sensor (on = unlocked) stands in for it.
  (ctx, door) =>
    ctx.entity(
      { component: 'binary_sensor', object: `door${door.id}_lock`, id: `door${door.id}_lock_state`, door, name: 'Lock' },
      ctx.input.commands
        ? null
        : { device_class: 'lock', ...fromState(ctx, door, '{{ value_json.lock }}'), payload_on: 'unlocked', payload_off: 'locked' },
    ),
  (ctx, door) =>
    ctx.entity(
      { component: 'event', object: `door${door.id}_access`, door, name: 'Access' },
      {
        state_topic: ctx.input.topics.event(door.id),
        event_types: [...HA_EVENT_TYPES],
      },
    ),
  (ctx, door) =>
    ctx.entity(
      { component: 'binary_sensor', object: `door${door.id}_contact`, door, name: 'Contact' },
      {
        device_class: 'door',
        ...fromState(ctx, door, '{{ value_json.door }}'),
        payload_on: 'open',
        payload_off: 'closed',
      },
    ),
  // The last access: its label, unknown (None) until there is one; who, what and when as attributes.
  (ctx, door) =>
    ctx.entity(
      { component: 'sensor', object: `door${door.id}_last_access`, door, name: 'Last access' },
      {
        ...fromState(ctx, door, '{{ value_json.last_access.label if value_json.last_access else None }}'),
        json_attributes_topic: ctx.input.topics.state(door.id),
        json_attributes_template: '{{ (value_json.last_access or {}) | tojson }}',
        icon: 'mdi:door',
      },
    ),
  // The keypad's wrong-PIN lockout: on while it lasts, `until` as an attribute.
  (ctx, door) =>
    ctx.entity(
      { component: 'binary_sensor', object: `door${door.id}_lockout`, door, name: 'Keypad lockout' },
      {
        ...fromState(ctx, door, "{{ 'ON' if value_json.lockout.active else 'OFF' }}"),
        json_attributes_topic: ctx.input.topics.state(door.id),
        json_attributes_template: '{{ value_json.lockout | tojson }}',
        icon: 'mdi:lock-alert',
      },
    ),
];

export const CONTROLLER_ENTITIES: ControllerRow[] = [
  (ctx) =>
    ctx.entity(
      { component: 'sensor', object: 'outbox_backlog', door: null, name: 'Event outbox backlog' },
      {
        state_topic: ctx.input.topics.status,
        value_template: '{{ value_json.outbox_backlog }}',
        unit_of_measurement: 'events',
        state_class: 'measurement',
        entity_category: 'diagnostic',
      },
    ),
  (ctx) =>
    ctx.entity(
      { component: 'sensor', object: 'sync_status', door: null, name: 'Credential sync' },
      {
        state_topic: ctx.input.topics.status,
        value_template: "{{ value_json.sync.status if value_json.sync else 'off' }}",
        device_class: 'enum',
        options: [...SYNC_STATUSES],
        json_attributes_topic: ctx.input.topics.status,
        json_attributes_template: '{{ (value_json.sync or {}) | tojson }}',
        entity_category: 'diagnostic',
      },
    ),
];

/**
 * The lock. With require_code Home Assistant asks for a code of the door's PIN lengths and sends it with the command
 * (the daemon checks it as the keypad would); locking needs none, but HA sends the code it asked for anyway.
 */
function lockFields(ctx: EntityContext, door: DiscoveryDoor): Record<string, unknown> {
  const common = {
    ...fromState(ctx, door, '{{ value_json.lock }}'),
    state_locked: 'locked',
    state_unlocked: 'unlocked',
    command_topic: ctx.input.topics.set(door.id),
    optimistic: false,
  };
  if (!ctx.input.requireCode) return { ...common, payload_unlock: '{"command":"unlock"}', payload_lock: '{"command":"lock"}' };
  return {
    ...common,
    code_format: `^\\d{${door.pin.min},${door.pin.max}}$`,
    payload_unlock: 'unlock',
    payload_lock: 'lock',
    // code_format has HA check the code is digits before it renders this, so it needs no escaping.
    command_template: '{"command":"{{ value }}"{% if code %},"code":"{{ code }}"{% endif %}}',
  };
}

export function discoveryMessages(input: DiscoveryInput): DiscoveryMessage[] {
  const controller = `keypadd_${input.node}`;
  const origin = { name: 'keypadd', sw_version: input.version };
  const controllerDevice = {
    identifiers: [controller],
    name: `keypadd ${input.node}`,
    manufacturer: 'keypadd',
    model: 'Door controller',
    sw_version: input.version,
  };
  const online = (topic: string) => ({ topic, payload_available: 'online', payload_not_available: 'offline' });
  const ctx: EntityContext = {
    input,
    entity({ component, object, id = object, door, name }, fields) {
      const topic = `${input.prefix}/${component}/${input.node}/${object}/config`;
      if (fields === null) return { topic, payload: null };
      const device = door
        ? { identifiers: [`${controller}_door${door.id}`], name: door.name, manufacturer: 'keypadd', model: 'Door', via_device: controller }
        : controllerDevice;
      const availability = door
        ? [online(input.topics.availability), online(input.topics.doorAvailability(door.id))]
        : [online(input.topics.availability)];
      return {
        topic,
        payload: { name, unique_id: `${controller}_${id}`, ...fields, availability, availability_mode: 'all', device, origin },
      };
    },
  };
  const doorRows = [...DOOR_ENTITIES, ...SITE_DOOR_ENTITIES];
  const controllerRows = [...CONTROLLER_ENTITIES, ...SITE_CONTROLLER_ENTITIES];
  return [...input.doors.flatMap((door) => doorRows.map((row) => row(ctx, door))), ...controllerRows.map((row) => row(ctx))];
}
