/**
 * Site operations end to end: real `keypadd run --sim` processes driven with the real CLI from another "shell":
 * a lockdown refuses the demo PIN with DoorFlow's lockdown code and survives SIGKILL; an unlock with a relock time
 * ends by itself; a first-person-in shift unlocks only after the first grant.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually, simDoor } from '../helpers/daemon.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

interface EventJson {
  event_type: string;
  event_code: number;
  reason: string | null;
  source: string | null;
  person_id: number | null;
}
interface ChannelStatus {
  relay: string;
  mode: { description: string; relock_at: string | null };
  lockdown: { message: string; card_lockdown: { state: boolean } } | null;
  auto_unlock: { id: number; name: string; state: string } | null;
  outcomes?: { granted: boolean; reason: string | null }[];
}
const events = (d: ReturnType<typeof simDoor>) => d.cli.json<{ events: EventJson[] }>('event', 'list', '--limit', '1000').events;
const status = (d: ReturnType<typeof simDoor>) => d.cli.json<{ doors: ChannelStatus[] }>('sim', 'status').doors[0]!;

describe('site operations on keypadd run --sim', () => {
  it('a lockdown refuses the demo PIN with code 22, survives SIGKILL and a restart, and ends with unlockdown', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const pin = d.demoPin();
    const locked = d.cli.json<ChannelStatus>('door', 'lockdown', '--door', '1');
    expect(locked).toMatchObject({ relay: 'locked', lockdown: { card_lockdown: { state: true }, message: 'Cards and PINs will be rejected' } });
    const refused = d.key(`${pin}#`) as unknown as ChannelStatus;
    expect(refused).toMatchObject({ relay: 'locked', outcomes: [{ granted: false, reason: 'lockdown' }] });
    await eventually(
      () => events(d),
      (e) => e.some((x) => x.event_type === 'access_denied' && x.event_code === 22) && e.some((x) => x.event_type === 'lockdown_started'),
    );
    expect(events(d).find((x) => x.event_type === 'lockdown_started')).toMatchObject({ source: 'cli', event_code: 55 });

    await d.stop('SIGKILL');
    await d.start();
    expect(status(d)).toMatchObject({ relay: 'locked', lockdown: { card_lockdown: { state: true } } });
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'locked', outcomes: [{ granted: false, reason: 'lockdown' }] });

    expect(d.cli.json<ChannelStatus>('door', 'unlockdown', '--door', '1').lockdown).toBe(null);
    expect(d.key(`${pin}#`)).toMatchObject({ relay: 'unlocked', outcomes: [{ granted: true }] });
  }, 60_000);

  it('lets an emergency credential holder through a site lockdown, recorded as such', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const guard = d.cli.json<{ id: number; emergency: boolean }>('person', 'add', '--first-name', 'Sam', '--last-name', 'Guard', '--emergency');
    expect(guard.emergency).toBe(true);
    const guardPin = d.cli.json<{ value: string }>('pin', 'add', '--person', String(guard.id)).value;
    d.cli.json('site', 'lockdown');
    expect(d.key(`${d.demoPin()}#`).relay).toBe('locked');
    expect(d.key(`${guardPin}#`).relay).toBe('unlocked');
    const granted = await eventually(
      () => events(d).filter((x) => x.event_type === 'access_granted'),
      (e) => e.length === 1,
    );
    expect(granted[0]).toMatchObject({ person_id: guard.id });
    const detail = d.cli.json<{ events: { detail: unknown; event_label: string }[] }>('event', 'list', '--limit', '1000').events;
    expect(detail.find((x) => x.event_label.includes('emergency'))).toBeDefined();
  }, 60_000);

  it('admits a named person from the CLI only if they have access now, as at the keypad', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const staff = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'Ann', '--last-name', 'Staff');
    const guest = d.cli.json<{ id: number }>('person', 'add', '--first-name', 'No', '--last-name', 'Access');
    d.cli.json('role', 'unassign', '--person', String(guest.id), '--role', '1');
    const before = d.status().unlock_count;
    const ok = d.cli.json<{ decision: { granted: boolean } }>('door', 'admit-person', '--door', '1', '--person', String(staff.id));
    expect(ok.decision.granted).toBe(true);
    expect(d.status().unlock_count).toBe(before + 1);
    const no = d.cli.run('door', 'admit-person', '--door', '1', '--person', String(guest.id));
    expect(no.status).toBe(1);
    expect(no.stdout).toMatch(/^denied: /);
    expect(d.status().unlock_count).toBe(before + 1);
    expect(d.cli.run('door', 'admit-person', '--door', '1', '--person', '99999').stderr).toContain('person_id: no person 99999');
    const admitted = await eventually(
      () => events(d).filter((x) => x.event_type === 'access_granted' && x.source === 'cli'),
      (e) => e.length === 1,
    );
    expect(admitted[0]).toMatchObject({ person_id: staff.id, event_code: 15 });
  }, 60_000);

  it('an unlock with a relock time ends by itself, with an event', async () => {
    const d = simDoor('', cleanups);
    await d.start();
    const until = new Date(Date.now() + 3000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const held = d.cli.json<ChannelStatus>('door', 'unlock', '--door', '1', '--until', until);
    expect(held).toMatchObject({ relay: 'unlocked', mode: { description: 'unlock', relock_at: until } });
    const after = await eventually(
      () => status(d),
      (s) => s.relay === 'locked',
      10_000,
    );
    expect(after.mode).toMatchObject({ description: 'normal', relock_at: null });
    const ended = await eventually(
      () => events(d),
      (e) => e.some((x) => x.event_type === 'unlock_period_ended'),
    );
    expect(ended.find((x) => x.event_type === 'unlock_period_ended')).toMatchObject({ source: 'relock_at', event_code: 57 });
  }, 60_000);

  it('a first-person-in shift keeps the door locked until the first grant, then holds it unlocked', async () => {
    const d = simDoor('doors: [{ id: 1, name: Front Door, unlock_ms: 1000 }]\n', cleanups);
    await d.start();
    const shift = d.cli.json<{ id: number }>('shift', 'add', '--name', 'Office', '--slot', 'daily 00:00-24:00', '--first-person-in');
    d.cli.json('door', 'auto-unlock', '--door', '1', '--shift', String(shift.id));
    const waiting = await eventually(
      () => status(d),
      (s) => s.auto_unlock?.state === 'waiting',
    );
    expect(waiting.relay).toBe('locked');
    // Still locked a while later: the timer alone does not open it.
    await new Promise((r) => setTimeout(r, 1500));
    expect(status(d)).toMatchObject({ relay: 'locked', auto_unlock: { state: 'waiting' } });
    expect(d.key(`${d.demoPin()}#`).relay).toBe('unlocked');
    // Past the grant's own 1 s unlock, the shift holds the door.
    await new Promise((r) => setTimeout(r, 2000));
    expect(status(d)).toMatchObject({ relay: 'unlocked', mode: { description: 'unlock' }, auto_unlock: { state: 'unlocked', name: 'Office' } });
    const types = (
      await eventually(
        () => events(d),
        (e) => e.some((x) => x.event_type === 'auto_unlock_started'),
      )
    ).map((x) => [x.event_type, x.event_code]);
    expect(types).toEqual(
      expect.arrayContaining([
        ['auto_unlock_waiting', 42],
        ['access_granted', 11],
        ['auto_unlock_started', 40],
      ]),
    );
    d.cli.json('door', 'auto-unlock', '--door', '1', '--shift', 'off');
    expect(status(d).relay).toBe('locked');
  }, 60_000);

  it('imports public holidays from an iCalendar file and lists them', async () => {
    const d = simDoor('', cleanups);
    const ics = [
      'BEGIN:VCALENDAR',
      'VERSION:2.0',
      'PRODID:-//test//holidays//EN',
      'BEGIN:VEVENT',
      'UID:xmas@test',
      'DTSTAMP:20260101T000000Z',
      'DTSTART;VALUE=DATE:20261225',
      'DTEND;VALUE=DATE:20261227',
      'SUMMARY:Christmas',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:newyear@test',
      'DTSTAMP:20260101T000000Z',
      'DTSTART;VALUE=DATE:20270101',
      'RRULE:FREQ=YEARLY',
      'SUMMARY:New Year',
      'END:VEVENT',
      'BEGIN:VEVENT',
      'UID:meeting@test',
      'DTSTAMP:20260101T000000Z',
      'DTSTART:20261201T100000Z',
      'DTEND:20261201T110000Z',
      'SUMMARY:Meeting',
      'END:VEVENT',
      'END:VCALENDAR',
    ].join('\r\n');
    const file = join(d.cli.dataDir, 'holidays.ics');
    writeFileSync(file, ics);
    const r = d.cli.json<{ imported: { date: string; name: string; closed: boolean }[]; skipped: number }>('holiday', 'import', file);
    expect(r.skipped).toBe(1);
    const list = d.cli.json<{ date: string; name: string; yearly: boolean; closed: boolean }[]>('holiday', 'list');
    expect(list.map((h) => [h.date, h.name, h.yearly, h.closed])).toEqual([
      ['01-01', 'New Year', true, true],
      ['2026-12-25', 'Christmas', false, true],
      ['2026-12-26', 'Christmas', false, true],
    ]);
    const bad = d.cli.run('holiday', 'add', '--name', 'Nope', '--date', '2026-02-30');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('date');
  }, 60_000);
});

describe('shifts and holidays from the config file', () => {
  it('applies them at start, by name and by date, and a config shift drives a door', async () => {
    const d = simDoor(
      [
        'shifts:',
        "  - { name: Always, slots: ['daily 00:00-24:00'] }",
        'holidays:',
        "  - { name: Christmas Day, date: '12-25' }",
        "  - { name: Christmas Eve, date: '2026-12-24', slots: ['daily 08:00-12:00'] }",
        '',
      ].join('\n'),
      cleanups,
    );
    await d.start();
    const shifts = d.cli.json<{ id: number; name: string; slots: string[] }[]>('shift', 'list');
    expect(shifts).toEqual([expect.objectContaining({ name: 'Always', slots: ['daily 00:00-24:00'] })]);
    expect(d.cli.json<{ date: string; closed: boolean }[]>('holiday', 'list').map((h) => [h.date, h.closed])).toEqual([
      ['12-25', true],
      ['2026-12-24', false],
    ]);
    d.cli.json('door', 'auto-unlock', '--door', '1', '--shift', String(shifts[0]!.id));
    await eventually(
      () => status(d),
      (s) => s.relay === 'unlocked' && s.auto_unlock?.state === 'unlocked',
    );
    // A restart applies the file again without duplicating anything.
    await d.stop('SIGTERM');
    await d.start();
    expect(d.cli.json<unknown[]>('shift', 'list')).toHaveLength(1);
    expect(status(d)).toMatchObject({ relay: 'unlocked', auto_unlock: { id: shifts[0]!.id } });
    expect(d.cli.run('shift', 'delete', String(shifts[0]!.id)).status).toBe(2);
  }, 60_000);

  it('refuses a bad slot or date in the config, naming the field', () => {
    const d = simDoor("holidays:\n  - { name: Nope, date: '2026-02-30' }\n", cleanups);
    const r = d.cli.run('holiday', 'list');
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('holidays');
  });
});
