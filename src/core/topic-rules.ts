/** What an MQTT topic keypadd publishes to must be (the rules of MQTT 3.1.1 §4.7 and of the brokers). */

/**
 * Why `topic` may not be published to, or null. MQTT forbids the wildcards + and # and NUL in a PUBLISH topic (the
 * broker drops the client), and limits it to 65,535 bytes; an empty level ("a//b") is legal but always a mistake here.
 */
export function topicProblem(topic: string): string | null {
  if (topic === '') return 'is empty';
  if (Buffer.byteLength(topic) > 65_535) return 'is longer than 65,535 bytes';
  // eslint-disable-next-line no-control-regex -- NUL and other controls are what is refused
  if (/[+#\u0000-\u001f\u007f]/.test(topic)) return 'holds +, #, or a control character';
  if (topic.split('/').some((level) => level === '')) return 'has an empty level';
  return null;
}

/**
 * Why `prefix` cannot begin keypadd's topics (mqtt.base_topic, mqtt.discovery_prefix), or null: it must be one or
 * more levels that are each publishable, without spaces, and not a broker's own `$` tree.
 */
export function topicPrefixProblem(prefix: string): string | null {
  if (/\s/.test(prefix)) return 'must not contain spaces';
  if (prefix.startsWith('$')) return 'must not start with $ (the broker’s own topics, like $SYS)';
  const problem = topicProblem(prefix);
  return problem ? `must be topic levels like keypadd or site/keypadd, but it ${problem}` : null;
}
