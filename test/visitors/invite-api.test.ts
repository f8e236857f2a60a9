/**
 * POST /api/3/visitors (keypadd's extension) over real HTTP against a `keypadd run --sim` child that mails through a
 * real STARTTLS smtp-server: 201 and the mail, whose PIN opens the door and is not in the answer; a bad body is 422
 * naming the field; a token without both scopes is 403; `send_email: false` answers the PIN once instead.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { apiDaemon, token } from '../helpers/api-client.js';
import { requireTool } from '../helpers/broker.js';
import { scratchDir } from '../helpers/scratch.js';
import { SmtpReceiver } from '../helpers/smtp-receiver.js';

const HAVE = requireTool('openssl', 'visitor invite API');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

async function setUp() {
  const dir = scratchDir('keypadd-smtp-');
  const smtp = new SmtpReceiver(dir.dir);
  await smtp.start();
  cleanups.push(async () => {
    await smtp.stop();
    dir.remove();
  });
  const { d, api } = await apiDaemon(
    `doors: [{ id: 1, name: Front Door }, { id: 2, name: Workshop }]\n${smtp.emailYaml()}`,
    cleanups as (() => void)[],
  );
  return { smtp, d, api };
}

const inTwoHours = () => new Date(Date.now() + 2 * 3_600_000).toISOString().slice(0, 19) + 'Z';
const aMinuteAgo = () => new Date(Date.now() - 60_000).toISOString().slice(0, 19) + 'Z';

describe.skipIf(!HAVE)('POST /api/3/visitors', () => {
  it('makes the visitor and mails a PIN that opens the door; the answer holds no PIN', async () => {
    const { smtp, d, api } = await setUp();
    const r = await api.post('/api/3/visitors', {
      first_name: 'Ada',
      last_name: 'Api',
      email: 'ada@example.com',
      start_time: aMinuteAgo(),
      end_time: inTwoHours(),
      channel_ids: [2],
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      person: { first_name: 'Ada', roles: [] },
      reservation: { channel_ids: [2], all_channels: false },
      credential: { credential_type_id: 6, value: null },
      invite: { sent: true, tries: 1 },
    });
    expect(smtp.mails.map((m) => m.to)).toEqual([['ada@example.com']]);
    expect(smtp.mails[0]!.secure).toBe(true);
    expect(smtp.mails[0]!.text).toContain('Doors: Workshop\n');
    const pin = /Your door PIN: (\d+)/.exec(smtp.mails[0]!.text)![1]!;
    expect(JSON.stringify(r.body)).not.toContain(pin);
    // The reservation is for the Workshop only.
    expect(d.cli.json('sim', 'key', '--door', '1', `${pin}#`)).toMatchObject({ unlock_count: 0 });
    expect(d.cli.json('sim', 'key', '--door', '2', `${pin}#`)).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    expect(d.stdout + d.stderr).not.toContain(pin);

    const resent = await api.post(`/api/3/visitors/${r.body.person.id}/resend`);
    expect(resent.status).toBe(201);
    expect(resent.body.invite).toEqual({ sent: true, tries: 1 });
    expect(smtp.mails).toHaveLength(2);
  });

  it('answers 422 naming the field for a bad body, 403 without the reservation scope, and makes nobody', async () => {
    const { smtp, d, api } = await setUp();
    const good = { first_name: 'Bo', last_name: 'Body', email: 'bo@example.com', start_time: aMinuteAgo(), end_time: inTwoHours() };
    const missing = await api.post('/api/3/visitors', { ...good, end_time: undefined });
    expect(missing.status).toBe(422);
    expect(Object.keys(missing.body.errors)).toEqual(['end_time']);
    const badEmail = await api.post('/api/3/visitors', { ...good, email: 'nowhere' });
    expect(badEmail.status).toBe(422);
    expect(badEmail.body.errors.email[0]).toContain('must be an email address');
    const noEmail = await api.post('/api/3/visitors', { ...good, email: null });
    expect(noEmail.status).toBe(422);
    expect(noEmail.body.errors.email[0]).toContain('is required to mail the PIN');
    const badDoor = await api.post('/api/3/visitors', { ...good, channel_ids: [7] });
    expect(badDoor.status).toBe(422);
    expect(badDoor.body.errors.channel_ids[0]).toContain('door 7 is not configured');
    const peopleOnly = token(d, 'people-only', 'account.person');
    expect((await api.post('/api/3/visitors', good, peopleOnly)).status).toBe(403);
    expect((await api.get('/api/3/people')).body.map((p: { last_name: string }) => p.last_name)).toEqual(['Person']); // the demo person only
    expect(smtp.connections).toBe(0);

    const shown = await api.post('/api/3/visitors', { ...good, send_email: false });
    expect(shown.status).toBe(201);
    expect(shown.body.invite).toBe(null);
    expect(shown.body.credential.value).toMatch(/^\d{4,}$/);
    expect(smtp.connections).toBe(0);
  });
});
