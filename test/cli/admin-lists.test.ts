/**
 * What an admin reads back: times in site time with the offset (JSON keeps DoorFlow's UTC fields), a date alone as
 * a whole day, roles and visitors in `person list`, person and door names in `reservation list`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const SITE = 'site: { time_zone: Europe/London }\ndoors: [{ id: 1, name: Front Door }, { id: 2, name: Server Room }]\n';

function cli(): Cli {
  const d = scratchDir('keypadd-lists-');
  cleanups.push(d.remove);
  return new Cli(d.dir, SITE);
}

/** The table row that starts with this id. */
const row = (stdout: string, id: number) => stdout.split('\n').find((l) => l.startsWith(`${id} `)) ?? '';

describe('admin lists and echoes', () => {
  it('person list shows each person’s roles by name, and whether they are a visitor', () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'Ada', '--last-name', 'Lovelace');
    const jane = k.run('person', 'add', '--first-name', 'Jane', '--last-name', 'Visitor', '--visitor', '--valid-to', '2030-03-31');
    expect(jane.stdout).toBe(
      'Added person 2: Jane Visitor\n  roles: none (a visitor: access only through reservations)\n  valid: … to 2030-04-01T00:00:00+01:00 (through 2030-03-31)\n',
    );
    const cleaners = k.json<{ id: number }>('role', 'add', '--name', 'Cleaners', '--door', '2', '--slot', 'mon-fri 06:00-08:00');
    k.json('role', 'assign', '--person', '1', '--role', String(cleaners.id));

    const list = k.run('person', 'list');
    expect(list.stdout.split('\n')[0]).toMatch(/^ID\s+NAME\s+EMAIL\s+ENABLED\s+VISITOR\s+ROLES\s+VALID$/);
    expect(row(list.stdout, 1)).toMatch(/^1\s+Ada Lovelace\s+-\s+yes\s+no\s+Everyone, Cleaners\s+always$/);
    expect(row(list.stdout, 2)).toMatch(/^2\s+Jane Visitor\s+-\s+yes\s+yes\s+-\s+… to 2030-04-01T00:00:00\+01:00 \(through 2030-03-31\)$/);
    // JSON keeps the API's fields: the exclusive end in UTC, and role ids.
    const people = k.json<{ id: number; roles: number[]; valid_to: string | null }[]>('person', 'list');
    expect(people.map((p) => [p.id, p.roles.length, p.valid_to])).toEqual([
      [1, 2, null],
      [2, 0, '2030-03-31T23:00:00Z'],
    ]);
    expect(k.run('person', 'show', '2').stdout).toContain('  roles:    none (a visitor: access only through reservations)');
  });

  it('a date-only reservation covers the whole local day, DST day included, and is echoed in site time', () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'Jane', '--last-name', 'Visitor', '--visitor');
    // 31 March 2030 is the day the UK clocks go forward: 23 hours long.
    const added = k.run('reservation', 'add', '--person', '1', '--start', '2030-03-31', '--end', '2030-03-31', '--door', '2');
    expect(added.status, added.stderr).toBe(0);
    expect(added.stdout).toBe(
      'Added reservation 1: Jane Visitor (1), 2030-03-31T00:00:00+00:00 to 2030-04-01T00:00:00+01:00 (through 2030-03-31), doors: Server Room\n',
    );
    const typed = k.run('reservation', 'add', '--person', '1', '--start', '2030-07-01T09:00', '--end', '2030-07-01T17:30');
    expect(typed.stdout).toBe('Added reservation 2: Jane Visitor (1), 2030-07-01T09:00:00+01:00 to 2030-07-01T17:30:00+01:00, doors: all\n');

    const json = k.json<{ start_time: string; end_time: string; channel_ids: number[] }[]>('reservation', 'list');
    expect(json.map((r) => [r.start_time, r.end_time, r.channel_ids])).toEqual([
      ['2030-03-31T00:00:00Z', '2030-03-31T23:00:00Z', [2]],
      ['2030-07-01T08:00:00Z', '2030-07-01T16:30:00Z', [1, 2]],
    ]);
    const list = k.run('reservation', 'list').stdout;
    expect(list.split('\n')[0]).toMatch(/^ID\s+PERSON\s+START\s+END\s+DOORS$/);
    expect(row(list, 1)).toMatch(
      /^1\s+Jane Visitor \(1\)\s+2030-03-31T00:00:00\+00:00\s+2030-04-01T00:00:00\+01:00 \(through 2030-03-31\)\s+Server Room$/,
    );
    expect(row(list, 2)).toMatch(/^2\s+Jane Visitor \(1\)\s+2030-07-01T09:00:00\+01:00\s+2030-07-01T17:30:00\+01:00\s+all$/);
  });

  it('says in --help what a date alone means', () => {
    const k = cli();
    const reservation = k.run('reservation', 'add', '--help').stdout.replace(/\s+/g, ' ');
    expect(reservation).toContain('a date alone, 2030-01-15: from the start of that day');
    expect(reservation).toContain('a date alone, 2030-01-15: through the end of that day');
    expect(k.run('person', 'add', '--help').stdout.replace(/\s+/g, ' ')).toContain('a date alone, 2026-12-31: through the end of that day');
  });
});
