/**
 * `keypadd visitor invite|resend` against a real SMTP server (smtp-server, STARTTLS under a CA made here) and a
 * running `keypadd run --sim`: the mail goes to the visitor, says the window in site time and the doors, and the PIN
 * in it opens the door; the PIN is in no output of the CLI or the daemon. A relay that is down is retried, then
 * reported, the visitor kept and the unsent PIN deleted; resend makes a new PIN and the old one stops working.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { siteEnd, siteTime } from '../../src/application/times.js';
import { requireTool } from '../helpers/broker.js';
import { eventually, simDoor, type SimDaemon } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';
import { SmtpReceiver, type ReceivedMail } from '../helpers/smtp-receiver.js';

const HAVE = requireTool('openssl', 'visitor invite');
const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanups.splice(0).reverse()) await f();
});

const ZONE = 'Europe/London';
const SITE = `site: { name: Acme Works, time_zone: ${ZONE} }\ndoors: [{ id: 1, name: Front Door, unlock_ms: 1000 }, { id: 2, name: Workshop }]\n`;
const INSTRUCTIONS = 'Ask for Sam at reception, second floor.';

async function receiver(options: { noStartTls?: boolean } = {}): Promise<SmtpReceiver> {
  const dir = scratchDir('keypadd-smtp-');
  const r = new SmtpReceiver(dir.dir, options);
  await r.start();
  cleanups.push(async () => {
    await r.stop();
    dir.remove();
  });
  return r;
}

async function door(smtp: SmtpReceiver): Promise<SimDaemon> {
  const d = simDoor(`${SITE}${smtp.emailYaml(`, instructions: "${INSTRUCTIONS}"`)}`, cleanups as (() => void)[]);
  await d.start();
  return d;
}

/** A window from a minute ago to two hours from now, in whole seconds. */
function window(): { start: string; end: string } {
  const now = Math.floor(Date.now() / 1000) * 1000;
  return { start: new Date(now - 60_000).toISOString(), end: new Date(now + 2 * 3_600_000).toISOString() };
}

const pinIn = (mail: ReceivedMail) => {
  const m = /Your door PIN: (\d+)/.exec(mail.text);
  if (!m) throw new Error(`no PIN in the mail: ${mail.text.replace(/\d{4,}/g, '…')}`);
  return m[1]!;
};

interface EventJson {
  event_type: string;
  person_id: number | null;
  detail: Record<string, unknown> | null;
}
const events = (d: SimDaemon) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events;

describe.skipIf(!HAVE)('keypadd visitor invite', () => {
  it('mails the PIN over STARTTLS to the visitor with the window and doors; the PIN opens the door and is in no output', async () => {
    const smtp = await receiver();
    const d = await door(smtp);
    const w = window();
    const invited = await d.cli.runAsync(
      ...['visitor', 'invite', '--first-name', 'Vera', '--last-name', 'Guest', '--email', 'vera@example.com'],
      ...['--start', w.start, '--end', w.end, '--door', '1'],
    );
    expect(invited.stderr).toBe('');
    expect(invited.status).toBe(0);
    expect(invited.stdout).toMatch(/^Invited Vera Guest \(person \d+\), .*: PIN mailed to vera@example.com \(1 try\)\n$/);
    expect(smtp.mails).toHaveLength(1);
    const mail = smtp.mails[0]!;
    expect(mail.to).toEqual(['vera@example.com']);
    expect(mail.from).toBe('door@example.com');
    expect(mail.secure).toBe(true);
    expect(mail.headers).toMatch(/^To: vera@example.com$/m);
    expect(mail.headers).toMatch(/^Subject: Your PIN for Acme Works$/m);
    expect(mail.text).toContain(`Valid from ${siteTime(w.start, ZONE)}\nuntil ${siteEnd(w.end, ZONE)}\n`);
    expect(mail.text).toContain('Doors: Front Door\n');
    expect(mail.text).not.toContain('Workshop');
    expect(mail.text).toContain(INSTRUCTIONS);
    expect(mail.text).toContain('Hello Vera,');
    const pin = pinIn(mail);

    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
    const personId = d.cli.json<{ id: number; email: string }[]>('person', 'list').find((p) => p.email === 'vera@example.com')!.id;
    const seen = await eventually(
      () => events(d),
      (e) => e.some((x) => x.event_type === 'access_granted' && x.person_id === personId),
    );
    expect(seen.find((e) => e.event_type === 'visitor_invited')).toMatchObject({ person_id: personId, detail: { tries: 1 } });
    // The visitor has no standing role: only the reservation lets them in.
    expect(d.cli.run('person', 'show', String(personId)).stdout).toContain('a visitor');

    // Resend: a new PIN in a new mail; the old one no longer opens the door.
    const resent = await d.cli.runAsync('visitor', 'resend', '--person', String(personId));
    expect(resent.status).toBe(0);
    expect(resent.stdout).toContain('New PIN for Vera Guest');
    expect(smtp.mails).toHaveLength(2);
    const newPin = pinIn(smtp.mails[1]!);
    expect(newPin).not.toBe(pin);
    // A grant while the relay is still unlocked only extends it, so wait for it to lock before each try.
    await eventually(
      () => d.status(),
      (s) => s.relay === 'locked',
    );
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', unlock_count: 1 });
    expect(d.key(`${newPin}#`)).toMatchObject({ relay: 'unlocked', unlock_count: 2 });

    const everything = [invited.stdout, invited.stderr, resent.stdout, resent.stderr, d.stdout, d.stderr, JSON.stringify(events(d))].join('\n');
    expect(everything).not.toContain(pin);
    expect(everything).not.toContain(newPin);
  });

  it('retries a relay that is down, reports it and keeps the visitor without a PIN; resend mails a PIN that works', async () => {
    const smtp = await receiver();
    const d = await door(smtp);
    smtp.refuseNext = 3;
    const w = window();
    const failed = await d.cli.runAsync(
      ...['visitor', 'invite', '--first-name', 'Dan', '--last-name', 'Down', '--email', 'dan@example.com', '--start', w.start, '--end', w.end],
    );
    expect(failed.status).toBe(1);
    expect(smtp.connections).toBe(3);
    expect(smtp.mails).toHaveLength(0);
    expect(failed.stderr).toMatch(
      /Dan Down \(person (\d+)\) and reservation \d+ are kept, but the PIN mail to dan@example.com failed after 3 tries: .*421/,
    );
    const personId = Number(/person (\d+)/.exec(failed.stderr)![1]);
    expect(failed.stderr).toContain(`keypadd visitor resend --person ${personId}`);
    expect(d.cli.json<{ id: number }[]>('person', 'list').map((p) => p.id)).toContain(personId);
    expect(d.cli.json<{ person_id: number }[]>('reservation', 'list', '--person', String(personId))).toHaveLength(1);
    expect(d.cli.json<unknown[]>('credential', 'list', '--person', String(personId))).toEqual([]);
    expect(events(d).find((e) => e.event_type === 'invite_failed')).toMatchObject({ person_id: personId, detail: { tries: 3 } });

    const resent = await d.cli.runAsync('visitor', 'resend', '--person', String(personId));
    expect(resent.status).toBe(0);
    expect(smtp.mails.map((m) => m.to)).toEqual([['dan@example.com']]);
    expect(d.key(`${pinIn(smtp.mails[0]!)}#`)).toMatchObject({ relay: 'unlocked', unlock_count: 1 });
  });

  it('refuses to send the PIN to a relay that offers no STARTTLS', async () => {
    const smtp = await receiver({ noStartTls: true });
    const d = await door(smtp);
    const w = window();
    const r = await d.cli.runAsync(
      ...['visitor', 'invite', '--first-name', 'Cleo', '--last-name', 'Clear', '--email', 'cleo@example.com', '--start', w.start, '--end', w.end],
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed after 3 tries: .*STARTTLS/i);
    expect(smtp.mails).toHaveLength(0);
  });

  it('refuses bad flags, naming the field, and makes nobody', async () => {
    const smtp = await receiver();
    const d = simDoor(`${SITE}${smtp.emailYaml()}`, cleanups as (() => void)[]);
    const w = window();
    const base = ['visitor', 'invite', '--first-name', 'Ann', '--last-name', 'Bad', '--email', 'ann@example.com'];
    const badEnd = await d.cli.runAsync(...base, '--start', w.end, '--end', w.start);
    expect(badEnd.status).toBe(2);
    expect(badEnd.stderr).toContain('end_time: must be after start_time');
    const badEmail = await d.cli.runAsync(...base.slice(0, -1), 'not-an-address', '--start', w.start, '--end', w.end);
    expect(badEmail.status).toBe(2);
    expect(badEmail.stderr).toContain('email: must be an email address');
    const badDoor = await d.cli.runAsync(...base, '--start', w.start, '--end', w.end, '--door', '9');
    expect(badDoor.status).toBe(2);
    expect(badDoor.stderr).toContain('channel_ids: door 9 is not configured');
    expect(d.cli.json<unknown[]>('person', 'list')).toEqual([]);
    expect(smtp.connections).toBe(0);

    const noEmail = simDoor(SITE, cleanups as (() => void)[]);
    const off = await noEmail.cli.runAsync(...base, '--start', w.start, '--end', w.end);
    expect(off.status).toBe(2);
    expect(off.stderr).toContain('email.host: is not set in the configuration');
  });
});
