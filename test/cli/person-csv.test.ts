/**
 * Issue 20: people to and from a spreadsheet (`keypadd person export`, `person import FILE.csv [--dry-run]`), with the
 * real CLI on a real SQLite file, and the imported card and PIN tried at a running `keypadd run --sim` door.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const PLAINTEXT = 'pin_policy: { storage: plaintext }\n';
const HEADER = ['id', 'first_name', 'last_name', 'email', 'enabled', 'valid_from', 'valid_to', 'roles', 'cards'];

function cli(yaml = ''): Cli {
  const d = scratchDir('keypadd-csv-');
  cleanups.push(d.remove);
  return new Cli(d.dir, 'site: { time_zone: Europe/London }\n' + yaml);
}

/** Writes the CSV beside the database; returns its path. */
function writeCsv(c: Cli, csv: string): string {
  const file = join(c.dataDir, `import-${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(file, csv);
  return file;
}

const importCsv = (c: Cli, csv: string, ...args: string[]) => c.run('person', 'import', writeCsv(c, csv), ...args);

const rowsOf = (csv: string) => parse(csv) as string[][];
const people = (c: Cli) => c.json<{ id: number; first_name: string; last_name: string; email: string | null; roles: number[] }[]>('person', 'list');
const events = (c: Cli) =>
  c.json<{ events: { event_type: string; event_code: number; detail: Record<string, unknown> | null }[] }>('event', 'list', '--limit', '100').events;

function addPerson(c: Cli, first: string, last: string, ...extra: string[]): number {
  // `=`: a name may start with - (the formula guard's case), which would otherwise read as an option.
  return c.json<{ id: number }>('person', 'add', `--first-name=${first}`, `--last-name=${last}`, ...extra).id;
}

describe('person export', () => {
  it('writes a header and one row per person: validity in site time, roles and cards joined by ;, formulas disarmed, quotes and commas kept', () => {
    const c = cli();
    c.json('role', 'add', '--name', 'Staff');
    const ada = addPerson(
      c,
      'Ada, "the Countess"',
      'Lovelace',
      '--email',
      'ada@example.com',
      '--valid-from',
      '2026-03-01',
      '--valid-to',
      '2026-12-31',
    );
    c.json('role', 'assign', '--person', String(ada), '--role', '2');
    c.json('card', 'add', '--person', String(ada), '--number', '0012345');
    const eve = addPerson(c, '=HYPERLINK("http://evil/")', '@Eve', '--visitor', '--valid-from', '2026-06-01T09:30');
    c.json('person', 'disable', String(eve));

    const r = c.run('person', 'export');
    expect(r.status).toBe(0);
    expect(rowsOf(r.stdout)).toEqual([
      HEADER,
      [String(ada), 'Ada, "the Countess"', 'Lovelace', 'ada@example.com', 'yes', '2026-03-01', '2026-12-31', 'Everyone;Staff', '12345'],
      [String(eve), `'=HYPERLINK("http://evil/")`, "'@Eve", '', 'no', '2026-06-01T09:30:00+01:00', '', '', ''],
    ]);
    // The cell a spreadsheet would run starts with the ' quoted, never with =.
    expect(r.stdout).toContain(`"'=HYPERLINK(""http://evil/"")"`);
    expect(r.stdout).not.toMatch(/(^|,)"?=/m);
  });

  it('--include-pins is refused under digest storage (exit 2, saying why) and adds the pins column under plaintext', () => {
    const digest = cli();
    const p = addPerson(digest, 'Dee', 'Gest');
    digest.json('pin', 'add', '--person', String(p), '--value', '480613');
    const refused = digest.run('person', 'export', '--include-pins');
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('--include-pins');
    expect(refused.stderr).toContain('digest cannot be read back');
    expect(refused.stdout).toBe('');

    const plain = cli(PLAINTEXT);
    const q = addPerson(plain, 'Plain', 'Text');
    plain.json('pin', 'add', '--person', String(q), '--value', '480613');
    const withPins = plain.run('person', 'export', '--include-pins');
    expect(withPins.status).toBe(0);
    expect(rowsOf(withPins.stdout)).toEqual([
      [...HEADER, 'pins'],
      [String(q), 'Plain', 'Text', '', 'yes', '', '', 'Everyone', '', '480613'],
    ]);
    // Without the option, no PIN even where it could be read.
    expect(plain.run('person', 'export').stdout).not.toContain('480613');
  });
});

describe('person import', () => {
  const CSV = [
    'first_name,last_name,email,roles,cards',
    'Ada,Lovelace,ada@example.com,Staff,4242',
    '"Grace, Rear Admiral","Hopper ""Amazing""",grace@example.com,Staff;Everyone,',
  ].join('\n');

  it('--dry-run prints the report of a real import and changes nothing; the import then makes the same changes and one people_imported event', () => {
    const c = cli();
    c.json('role', 'add', '--name', 'Staff');
    const dry = importCsv(c, CSV, '--dry-run');
    expect(dry.status).toBe(0);
    const report = [
      'row 2: create Ada Lovelace (roles: Staff; 1 card)',
      'row 3: create Grace, Rear Admiral Hopper "Amazing" (roles: Everyone, Staff)',
    ];
    expect(dry.stdout).toBe([...report, '2 rows: 2 created, 0 updated, 0 unchanged, 0 refused (dry run: nothing was changed)', ''].join('\n'));
    expect(people(c)).toEqual([]);
    expect(c.json<unknown[]>('credential', 'list')).toEqual([]);
    const json = c.json<{ dry_run: boolean; created: number; rows: { action: string; person_id: number | null }[] }>(
      'person',
      'import',
      '--dry-run',
      writeCsv(c, CSV),
    );
    expect(json).toMatchObject({
      dry_run: true,
      created: 2,
      rows: [
        { action: 'create', person_id: null },
        { action: 'create', person_id: null },
      ],
    });
    expect(events(c).filter((e) => e.event_type === 'people_imported')).toEqual([]);

    const real = importCsv(c, CSV);
    expect(real.status).toBe(0);
    expect(real.stdout).toBe([...report, '2 rows: 2 created, 0 updated, 0 unchanged, 0 refused', ''].join('\n'));
    expect(people(c).map((p) => [p.first_name, p.last_name, p.email, p.roles])).toEqual([
      ['Ada', 'Lovelace', 'ada@example.com', [2]],
      ['Grace, Rear Admiral', 'Hopper "Amazing"', 'grace@example.com', [1, 2]],
    ]);
    const imported = events(c).filter((e) => e.event_type === 'people_imported');
    expect(imported).toEqual([expect.objectContaining({ event_code: 88, detail: { rows: 2, created: 2, updated: 0, unchanged: 0, refused: 0 } })]);

    // Matched by email the second time: an update names the columns that change, the rest are unchanged.
    const again = importCsv(c, 'email,last_name,enabled\nada@example.com,Byron,no\ngrace@example.com,"Hopper ""Amazing""",yes\n');
    expect(again.stdout).toContain(`row 2: update person 1: last_name, enabled\nrow 3: unchanged\n`);
    expect(c.json<{ last_name: string; enabled: boolean }>('person', 'show', '1')).toMatchObject({ last_name: 'Byron', enabled: false });
  });

  it('an imported card and PIN open the door of a running keypadd run --sim; the PIN is never echoed', async () => {
    const d = simDoor('site: { time_zone: Europe/London }\n', cleanups);
    d.runArgs = [];
    await d.start();
    d.cli.json('role', 'add', '--name', 'Staff');
    const r = importCsv(d.cli, 'first_name,last_name,roles,cards,pins\nAda,Lovelace,Staff,4242,480613\n');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('row 2: create Ada Lovelace (roles: Staff; 1 card; 1 PIN)');
    expect(r.stdout + r.stderr).not.toContain('480613');

    const byPin = d.key('480613#');
    expect(byPin.outcomes).toEqual([expect.objectContaining({ granted: true, person_name: 'Ada Lovelace' })]);
    expect(byPin.relay).toBe('unlocked');
    await eventually(
      () => d.status(),
      (s) => s.relay === 'locked',
    );
    const byCard = d.cli.json<{ relay: string; outcomes?: { granted: boolean; credential_type: string }[] }>('sim', 'card', '4242');
    expect(byCard.outcomes).toEqual([expect.objectContaining({ granted: true, credential_type: 'Card', person_name: 'Ada Lovelace' })]);
    expect(byCard.relay).toBe('unlocked');
    expect(JSON.stringify(events(d.cli))).not.toContain('480613');
  });

  it('refuses bad rows with the column and the reason, applies the good ones, and exits 1', () => {
    const c = cli('pin_policy: { weak_pins: reject }\n');
    const holder = addPerson(c, 'Card', 'Holder');
    c.json('card', 'add', '--person', String(holder), '--number', '777');
    const csv = [
      'id,first_name,last_name,email,valid_from,enabled,roles,cards,pins',
      ',Good,Row,,,,,,',
      ',Bad,Role,,,,Staf,,',
      ',Taken,Card,,,,,777,',
      ',Bad,Date,,2026-13-45,,,,',
      ',Bad,Enabled,,,maybe,,,',
      '99,No,Such,,,,,,',
      ',Weak,Pin,,,,,,1234',
      ',Short,Row',
      `,"Two\nLines",Name,,,,,,`,
      ',Two,Cards,,,,,1;2,',
    ].join('\n');
    const r = importCsv(c, csv);
    expect(r.status).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toEqual([
      'row 2: create Good Row (roles: none)', // an empty roles cell: no role (a visitor), as the export writes one
      'row 3: refused: roles: no role named "Staf"',
      `row 4: refused: cards: card 777 is held by person ${holder}`,
      expect.stringMatching(/^row 5: refused: valid_from: must be an ISO 8601 time/),
      'row 6: refused: enabled: must be yes or no (or true/false, 1/0)',
      'row 7: refused: person_id: no person with id 99',
      expect.stringMatching(/^row 8: refused: pins: is too easy to guess/),
      'row 9: refused: row: has 3 cells where the header has 9',
      'row 10: refused: first_name: must not contain control characters (newlines, tabs, escape codes)',
      'row 11: refused: cards: a person holds at most one card: give one number',
      '10 rows: 1 created, 0 updated, 0 unchanged, 9 refused (the refused rows were skipped; the others are saved)',
    ]);
    expect(r.stdout).not.toContain('1234');
    expect(people(c).map((p) => p.first_name)).toEqual(['Card', 'Good']);
    // A refused row leaves nothing behind: not the person made before their PIN was refused.
    expect(c.json<unknown[]>('credential', 'list')).toHaveLength(1);
    expect(events(c).find((e) => e.event_type === 'people_imported')?.detail).toEqual({ rows: 10, created: 1, updated: 0, unchanged: 0, refused: 9 });
  });

  it('under digest storage, a PIN the person holds is unchanged and another is refused, neither printed', () => {
    const c = cli();
    const p = addPerson(c, 'Dee', 'Gest');
    const held = c.json<{ id: string }>('pin', 'add', '--person', String(p), '--value', '480613').id;
    const same = importCsv(c, `id,pins\n${p},480613\n`);
    expect(same.stdout).toContain('row 2: unchanged\n');
    const other = importCsv(c, `id,pins\n${p},592746\n`);
    expect(other.status).toBe(1);
    expect(other.stdout).toContain(`row 2: refused: pins: person ${p} already has a PIN (${held}): delete it first to give another\n`);
    expect(same.stdout + same.stderr + other.stdout + other.stderr).not.toMatch(/480613|592746/);
  });

  it('refuses an unknown or a repeated column (exit 2, naming it) and changes nothing; stdin is read with -', () => {
    const c = cli();
    const unknown = importCsv(c, 'first_name,last_name,phone\nA,B,123\n');
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toContain('unknown column "phone"');
    const twice = importCsv(c, 'first_name,last_name,email,Email\nA,B,a@example.com,b@example.com\n');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('column "email" appears twice');
    expect(people(c)).toEqual([]);
    const stdin = c.runWithInput('first_name,last_name\nFrom,Stdin\n', 'person', 'import', '-');
    expect(stdin.status).toBe(0);
    expect(stdin.stdout).toContain('row 2: create From Stdin (roles: Everyone)');
  });

  it('export then import of the same file reports every row unchanged (plaintext PINs, validity, visitors, formulas)', () => {
    const c = cli(PLAINTEXT);
    c.json('role', 'add', '--name', 'Staff');
    const a = addPerson(c, '-Minus', "O'Brien, Jr.", '--email', 'ob@example.com', '--valid-from', '2026-03-01T08:15', '--valid-to', '2026-12-31');
    c.json('role', 'assign', '--person', String(a), '--role', '2');
    c.json('card', 'add', '--person', String(a), '--number', '98765');
    c.json('pin', 'add', '--person', String(a), '--value', '480613');
    addPerson(c, "'=already quoted", 'Visitor', '--visitor', '--valid-to', '2026-07-01T17:00');
    const exported = c.run('person', 'export', '--include-pins');
    expect(exported.status).toBe(0);
    const r = importCsv(c, exported.stdout);
    expect(r.stdout).toBe('row 2: unchanged\nrow 3: unchanged\n2 rows: 0 created, 0 updated, 2 unchanged, 0 refused\n');
    expect(r.status).toBe(0);
    // And the file read back is the file written: the guard's ' is taken off again, exactly once.
    expect(c.run('person', 'export', '--include-pins').stdout).toBe(exported.stdout);
    expect(c.json<{ first_name: string }>('person', 'show', '2').first_name).toBe("'=already quoted");
  });
});
