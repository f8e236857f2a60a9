/** keypadd's MQTT topics, from the base topic and node id. */
export interface Topics {
  event(doorId: number | null): string;
  state(doorId: number): string;
  set(doorId: number): string;
  setResult(doorId: number): string;
  /** Subscription matching every door's command topic. */
  setWildcard: string;
  availability: string;
  status: string;
  /** The door id in a command topic, or null when the topic is not one. */
  doorOfSet(topic: string): number | null;
}

export function topics(base: string, node: string): Topics {
  const root = `${base}/${node}`;
  return {
    // Events with no door (controller alarms) go on the node's own event topic.
    event: (doorId) => (doorId === null ? `${root}/event` : `${root}/${doorId}/event`),
    state: (doorId) => `${root}/${doorId}/state`,
    set: (doorId) => `${root}/${doorId}/set`,
    setResult: (doorId) => `${root}/${doorId}/set/result`,
    setWildcard: `${root}/+/set`,
    availability: `${root}/availability`,
    status: `${root}/status`,
    doorOfSet: (topic) => {
      const m = new RegExp(`^${escape(root)}/(\\d+)/set$`).exec(topic);
      return m ? Number(m[1]) : null;
    },
  };
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
