/**
 * Home Assistant entities for site operations: a lockdown switch per door, one switch for the whole site, and the
 * auto-unlock state of each door as a sensor. Kept apart from discovery.ts, which adds them with one line. The
 * switches send the door's own commands (mqtt/commands.ts), so they are refused, signed or rate-limited as any
 * command is; the site switch sends its command on the first door's topic (a site command acts on every door).
 */
import type { DiscoveryInput, DiscoveryMessage } from './discovery.js';

export function siteOperationMessages(
  input: DiscoveryInput,
  common: Record<string, unknown>,
  id: (object: string) => string,
  topic: (component: string, object: string) => string,
): DiscoveryMessage[] {
  const out: DiscoveryMessage[] = [];
  for (const door of input.doors) {
    const o = `door${door.id}`;
    out.push({
      topic: topic('switch', `${o}_lockdown`),
      payload: !input.commands
        ? null
        : {
            ...common,
            name: `${door.name} lockdown`,
            unique_id: id(`${o}_lockdown`),
            icon: 'mdi:shield-lock',
            state_topic: input.topics.state(door.id),
            value_template: "{{ 'ON' if value_json.lockdown else 'OFF' }}",
            command_topic: input.topics.set(door.id),
            payload_on: '{"command":"lockdown"}',
            payload_off: '{"command":"unlockdown"}',
            state_on: 'ON',
            state_off: 'OFF',
            optimistic: false,
          },
    });
    out.push({
      topic: topic('sensor', `${o}_auto_unlock`),
      payload: {
        ...common,
        name: `${door.name} auto-unlock`,
        unique_id: id(`${o}_auto_unlock`),
        icon: 'mdi:calendar-clock',
        state_topic: input.topics.state(door.id),
        value_template: "{{ value_json.auto_unlock | default('off') }}",
      },
    });
  }
  const first = input.doors[0];
  if (first)
    out.push({
      topic: topic('switch', 'site_lockdown'),
      payload: !input.commands
        ? null
        : {
            ...common,
            name: 'Site lockdown',
            unique_id: id('site_lockdown'),
            icon: 'mdi:shield-alert',
            state_topic: input.topics.state(first.id),
            value_template: "{{ 'ON' if value_json.site_lockdown else 'OFF' }}",
            command_topic: input.topics.set(first.id),
            payload_on: '{"command":"site_lockdown"}',
            payload_off: '{"command":"site_unlockdown"}',
            state_on: 'ON',
            state_off: 'OFF',
            optimistic: false,
          },
    });
  return out;
}
