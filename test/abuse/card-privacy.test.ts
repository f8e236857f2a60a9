/**
 * The number of a card that matched someone is theirs: refused for a schedule, validity or door reason, it must not
 * be published over MQTT or given by the API (only an unknown card's number is, for enrolment). Checked end to end on
 * a real daemon, Mosquitto and HTTP.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { requireTool } from '../helpers/broker.js';
import { ApiClient, token } from '../helpers/api-client.js';
import { freePort } from '../helpers/broker.js';
import { eventually } from '../helpers/daemon.js';
import { mqttDoor } from '../helpers/mqtt-door.js';

const HAVE = requireTool('mosquitto', 'MQTT abuse');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

interface Published {
  event_type: string;
  reason: string | null;
  credentials_number: string | null;
  detail: Record<string, unknown> | null;
  person_name: string | null;
}

describe.skipIf(!HAVE)('card numbers in events', () => {
  it('publishes and serves the number of an unknown card only, never of a matched card refused', async () => {
    const port = await freePort();
    const m = await mqttDoor(cleanups, '', {}, `api: { enabled: true, listen: 127.0.0.1:${port} }\n`);
    await m.d.start();
    await m.connected();
    const visitor = m.d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Vera', '--last-name', 'Visitor', '--visitor').id;
    m.d.cli.json('card', 'add', '--person', String(visitor), '--number', '7340033');
    const expired = m.d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Old', '--last-name', 'Timer', '--valid-to', '2020-01-01').id;
    m.d.cli.json('card', 'add', '--person', String(expired), '--number', '7340034');
    for (const card of ['7340033', '7340034', '9999999']) m.d.cli.json('sim', 'card', card);
    const published = await eventually(
      () =>
        m.consumer
          .on('/1/event')
          .map((x) => JSON.parse(x.payload) as Published)
          .filter((e) => e.event_type === 'access_denied'),
      (e) => e.length >= 3,
      10_000,
    );
    const api = new ApiClient(port, token(m.d, 'reader', 'account.event.access.readonly'));
    const served = ((await api.get('/api/3/events?event_codes=20,21,27')).body as { events: Published[] }).events.reverse();
    for (const events of [published, served]) {
      expect(events.map((e) => [e.reason, e.person_name, e.credentials_number])).toEqual([
        ['no_reservation', 'Vera Visitor', null],
        ['outside_validity', 'Old Timer', null],
        ['unknown_credential', null, '9999999'],
      ]);
      const text = JSON.stringify(events.slice(0, 2));
      expect(text).not.toContain('7340033');
      expect(text).not.toContain('7340034');
    }
  });
});
