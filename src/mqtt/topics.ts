/**
 * keypadd's MQTT topics, from the base topic and node id. Door ids in incoming topics are matched as text against
 * the configured doors, never parsed: "1000000000000000000000" would parse to 1e21 and come back as "1e+21", and a
 * "+" in a PUBLISH topic makes the broker drop the client. Every outgoing topic is checked (topicProblem) as well.
 */
export { topicProblem } from '../core/topic-rules.js';

export interface Topics {
  event(doorId: number | null): string;
  state(doorId: number): string;
  set(doorId: number): string;
  setResult(doorId: number): string;
  /** Subscription matching every door's command topic. */
  setWildcard: string;
  /** Subscription matching every door's state topic (to see foreign writes to it). */
  stateWildcard: string;
  /** The controller's availability: `online`, or `offline` on a clean stop and as the last will. */
  availability: string;
  /** One door's availability: `online` while it is configured and running here; emptied once it is removed. */
  doorAvailability(doorId: number): string;
  status: string;
  /** The configured door whose command topic this is, or null (another topic, or a door not configured here). */
  doorOfSet(topic: string): number | null;
  /** The configured door whose state topic this is, or null. */
  doorOfState(topic: string): number | null;
}

export function topics(base: string, node: string, doorIds: readonly number[]): Topics {
  const root = `${base}/${node}`;
  const byLevel = new Map(doorIds.map((id) => [String(id), id]));
  /** The door of `root/<door>/<suffix>`, when <door> is exactly a configured id as text. */
  const doorOf = (topic: string, suffix: string): number | null => {
    if (!topic.startsWith(`${root}/`) || !topic.endsWith(`/${suffix}`)) return null;
    const level = topic.slice(root.length + 1, topic.length - suffix.length - 1);
    return byLevel.get(level) ?? null;
  };
  return {
    // Events with no door (controller alarms) go on the node's own event topic.
    event: (doorId) => (doorId === null ? `${root}/event` : `${root}/${doorId}/event`),
    state: (doorId) => `${root}/${doorId}/state`,
    set: (doorId) => `${root}/${doorId}/set`,
    setResult: (doorId) => `${root}/${doorId}/set/result`,
    setWildcard: `${root}/+/set`,
    stateWildcard: `${root}/+/state`,
    availability: `${root}/availability`,
    doorAvailability: (doorId) => `${root}/${doorId}/availability`,
    status: `${root}/status`,
    doorOfSet: (topic) => doorOf(topic, 'set'),
    doorOfState: (topic) => doorOf(topic, 'state'),
  };
}
