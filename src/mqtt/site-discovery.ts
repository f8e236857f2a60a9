/**
 * Home Assistant entities for site operations, as rows of the same tables as every other entity (discovery.ts), so
 * they get the door's device, has_entity_name naming, per-door availability and removal from the retained record:
 * a lockdown switch per door, the auto-unlock state of each door (an enum sensor), and one switch for the whole site
 * on the controller's device. The switches send the door's own commands (mqtt/commands.ts), so they are refused,
 * signed or rate-limited as any command is; the site switch sends its command on the first door's topic (a site
 * command acts on every door, whichever topic it arrives on).
 */
import type { DiscoveryDoor, DiscoveryMessage, EntityContext } from './discovery.js';

/** The door state's `auto_unlock`: "off" with no shift set, otherwise the shift's phase (core/auto-unlock.ts). */
export const AUTO_UNLOCK_STATES = ['off', 'idle', 'waiting', 'unlocked', 'closing'] as const;

const switchFields = (ctx: EntityContext, stateDoor: number, field: string, on: string, off: string) => ({
  state_topic: ctx.input.topics.state(stateDoor),
  value_template: `{{ 'ON' if value_json.${field} else 'OFF' }}`,
  command_topic: ctx.input.topics.set(stateDoor),
  payload_on: `{"command":"${on}"}`,
  payload_off: `{"command":"${off}"}`,
  state_on: 'ON',
  state_off: 'OFF',
  optimistic: false,
});

export const SITE_DOOR_ENTITIES: ((ctx: EntityContext, door: DiscoveryDoor) => DiscoveryMessage)[] = [
  // Only where Home Assistant may send commands at all (mqtt.commands), as for the lock.
  (ctx, door) =>
    ctx.entity(
      { component: 'switch', object: `door${door.id}_lockdown`, door, name: 'Lockdown' },
      ctx.input.commands ? { ...switchFields(ctx, door.id, 'lockdown', 'lockdown', 'unlockdown'), icon: 'mdi:shield-lock' } : null,
    ),
  (ctx, door) =>
    ctx.entity(
      { component: 'sensor', object: `door${door.id}_auto_unlock`, door, name: 'Auto-unlock' },
      {
        state_topic: ctx.input.topics.state(door.id),
        value_template: "{{ value_json.auto_unlock | default('off') }}",
        device_class: 'enum',
        options: [...AUTO_UNLOCK_STATES],
        icon: 'mdi:calendar-clock',
      },
    ),
];

export const SITE_CONTROLLER_ENTITIES: ((ctx: EntityContext) => DiscoveryMessage)[] = [
  (ctx) => {
    const first = ctx.input.doors[0];
    return ctx.entity(
      { component: 'switch', object: 'site_lockdown', door: null, name: 'Site lockdown' },
      ctx.input.commands && first
        ? { ...switchFields(ctx, first.id, 'site_lockdown', 'site_lockdown', 'site_unlockdown'), icon: 'mdi:shield-alert' }
        : null,
    );
  },
];
