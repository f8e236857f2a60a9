import { closeSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/storage/database.js';
import { EventRepo } from '../../src/storage/event-repo.js';
import { Cli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function cli(yaml = ''): Cli {
  const d = scratchDir('keypadd-cli-');
  cleanups.push(d.remove);
  return new Cli(d.dir, yaml);
}

describe('keypadd CLI', () => {
  it('has --help on every level and exits 2 on a missing verb', () => {
    const k = cli();
    for (const args of [
      [],
      ['person'],
      ['person', 'add'],
      ['pin', 'add'],
      ['card', 'add'],
      ['credential'],
      ['reservation', 'add'],
      ['event', 'list'],
    ]) {
      const r = k.run(...args, '--help');
      expect(r.status, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: keypadd/);
    }
    expect(k.run('--help').stdout).toMatch(/person .*\n.*pin .*\n.*card/s);
    const missing = k.run('person');
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('Usage: keypadd person');
  });

  it('runs the visitor workflow of the guide: person, generated PIN, reservation', () => {
    const k = cli();
    const person = k.json<{ id: number }>('person', 'add', '--first-name', 'Jane', '--last-name', 'Visitor', '--email', 'jane@example.com');
    expect(person).toMatchObject({ id: 1, first_name: 'Jane', email: 'jane@example.com', enabled: true });

    const pin = k.json<{ id: string; value: string }>('pin', 'add', '--person', '1');
    // The guide's response fields.
    expect(Object.keys(pin)).toEqual(expect.arrayContaining(['id', 'credential_type_id', 'value', 'enabled', 'person_id', 'created_at']));
    expect(pin).toMatchObject({ credential_type_id: 6, enabled: true, person_id: 1 });
    expect(pin.value).toMatch(/^[0-9]{6}$/);

    const human = k.run('credential', 'list');
    expect(human.status).toBe(0);
    expect(human.stdout).toContain(pin.id);
    expect(human.stdout).not.toContain(pin.value);
    expect(human.stdout).toContain('shown only at creation');

    const r = k.json('reservation', 'add', '--person', '1', '--start', '2030-01-15T09:00:00Z', '--end', '2030-01-15T17:00:00Z');
    expect(r).toMatchObject({ person_id: 1, start_time: '2030-01-15T09:00:00Z', end_time: '2030-01-15T17:00:00Z', channel_ids: [1] });
    // Shown in the site's zone (the system's here), with its offset.
    expect(k.run('reservation', 'list').stdout).toMatch(
      /Jane Visitor \(1\)\s+2030-01-1\dT\d\d:\d\d:00[+-]\d\d:\d\d\s+2030-01-1\dT\d\d:\d\d:00[+-]\d\d:\d\d\s+all/,
    );
    expect(k.run('person', 'show', '1').stdout).toMatch(/credentials: PIN cred_/);
  });

  it('shows a custom PIN once, and warns on stderr when it is weak', () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    const r = k.run('pin', 'add', '--person', '1', '--value', '1234');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PIN for person 1: 1234');
    expect(r.stderr).toBe('warning: weak PIN: it is an ascending sequence; a generated PIN ("******") is safer\n');
  });

  it('reads a custom PIN from stdin with --value -, keeping it off the command line', () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    k.json('person', 'add', '--first-name', 'C', '--last-name', 'D');
    const r = k.runWithInput('0472\n', 'pin', 'add', '--person', '1', '--value', '-');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('PIN for person 1: 0472');
    expect(k.runWithInput('12 4\n', 'pin', 'add', '--person', '2', '--value', '-').stderr).toContain('value: digits only');
  });

  it.each([
    [['pin', 'add', '--person', '1', '--value', '123'], 'value: must be 4 to 8 digits'],
    [['pin', 'add', '--person', '1', '--value', '12AB'], 'value: digits only'],
    [['pin', 'add', '--person', '1', '--value', '1234 '], 'value: digits only'],
    [['pin', 'add', '--person', '1', '--value', ''], 'value: must not be empty'],
    [['pin', 'add', '--person', '7'], 'person_id: no person with id 7'],
    [['card', 'add', '--person', '1', '--facility', '300', '--card', '5'], 'facility: must be 0 to 255'],
    [['card', 'add', '--person', '1'], 'number: is required'],
    [['person', 'add', '--first-name', 'X', '--last-name', 'Y', '--valid-from', 'soon'], 'valid_from: must be an ISO 8601 time'],
    [['reservation', 'add', '--person', '1', '--start', '2030-01-02', '--end', '2030-01-01'], 'end_time: must be after start_time'],
    [['reservation', 'add', '--person', '1', '--start', '2030-01-01', '--end', '2030-01-02', '--door', '4'], 'channel_ids: door 4 is not configured'],
    [['credential', 'disable', 'cred_nope'], 'id: no credential cred_nope'],
  ])('refuses %j with exit 2 and names the field and rule', (args, message) => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    const r = k.run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`keypadd: refused: ${message}`);
    expect(r.stdout).toBe('');
    // The refused value itself is never echoed.
    const value = args[args.indexOf('--value') + 1];
    if (args.includes('--value') && value) expect(r.stderr).not.toContain(value);
  });

  it('refuses `run` on a door with no wiring in the config, naming the door and the way out', () => {
    const r = cli().run('run');
    expect(r.status).toBe(78); // EX_CONFIG: systemd does not restart it in a loop
    expect(r.stderr).toContain('keypadd: refused: door 1 (Front Door) has no hardware section');
    expect(r.stderr).toContain('or run the simulated door with --sim');
  });

  it('exits 78 (EX_CONFIG: no restart can fix it) with the fix when the wired GPIO is not there', () => {
    const k = cli('gpio: { sysfs_root: /nonexistent/gpio }\ndoors: [{ id: 1, name: Front, hardware: { relay: { pin: 17 } } }]\n');
    const r = k.run('run');
    expect(r.status).toBe(78);
    expect(r.stderr).toContain('keypadd: GPIO: GPIO sysfs interface not found at /nonexistent/gpio');
  });

  it('refuses bad option values and unknown options with exit 2', () => {
    const k = cli();
    const bad = k.run('pin', 'add', '--person', 'abc');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/option '--person <id>' argument 'abc' is invalid. must be a positive whole number/);
    expect(k.run('person', 'list', '--colour').status).toBe(2);
  });

  it("answers refusals in DoorFlow's error shape with --json, including the existing credential on a conflict", () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    const first = k.json<{ id: string }>('pin', 'add', '--person', '1');
    const r = k.run('--json', 'pin', 'add', '--person', '1');
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stderr)).toMatchObject({
      error: 'conflict',
      errors: { credential_type_id: [expect.stringContaining(first.id)] },
      existing: { id: first.id, value: null },
    });
    const v = k.run('--json', 'credential', 'update', first.id, '--value', '9182');
    expect(JSON.parse(v.stderr)).toEqual({
      error: 'validation_failed',
      error_description: 'value: cannot be changed: delete it and create a new one',
      errors: { value: ['cannot be changed: delete it and create a new one'] },
    });
  });

  it('disables, enables and deletes credentials; a deleted PIN frees its value', () => {
    const k = cli('pin_policy: { storage: plaintext }\n');
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    k.json('person', 'add', '--first-name', 'C', '--last-name', 'D');
    const pin = k.json<{ id: string }>('pin', 'add', '--person', '1', '--value', '5839');
    expect(k.json('credential', 'disable', pin.id)).toMatchObject({ enabled: false, value: '5839' });
    expect(k.json('credential', 'update', pin.id, '--enabled', 'true')).toMatchObject({ enabled: true });
    expect(k.run('pin', 'add', '--person', '2', '--value', '5839').stderr).toContain('value: is already in use');
    expect(k.run('credential', 'delete', pin.id).status).toBe(0);
    expect(k.json('pin', 'add', '--person', '2', '--value', '5839')).toMatchObject({ person_id: 2, value: '5839' });
    expect(k.json<unknown[]>('credential', 'list', '--person', '1')).toEqual([]);
  });

  it('adds cards by number or by facility and card number', () => {
    const k = cli();
    k.json('person', 'add', '--first-name', 'A', '--last-name', 'B');
    k.json('person', 'add', '--first-name', 'C', '--last-name', 'D');
    expect(k.json('card', 'add', '--person', '1', '--number', '1234567890')).toMatchObject({ credential_type_id: 5, value: '1234567890' });
    expect(k.json('card', 'add', '--person', '2', '--facility', '12', '--card', '345')).toMatchObject({ value: '786777' });
    expect(k.run('credential', 'list').stdout).toMatch(/Card\s+2\s+786777/);
  });

  it('lists events as the guide answers GET /events', () => {
    const k = cli();
    expect(k.run('event', 'list').stdout).toBe('No events yet.\n');
    expect(k.json('event', 'list')).toEqual({ events: [] });
    const db = openDatabase(k.dataDir);
    new EventRepo(db).append({
      door_id: 1,
      event_code: 10,
      event_type: 'access_granted',
      event_label: 'Jane Visitor admitted using PIN',
      person_id: 1,
      person_name: 'Jane Visitor',
      credential_id: 'cred_xyz789',
      credential_type: 'PIN',
      created_at: '2024-01-15T14:30:00Z',
    });
    db.close();
    expect(k.json('event', 'list', '--person', '1')).toEqual({
      events: [
        expect.objectContaining({
          event_type: 'access_granted',
          person_id: 1,
          credential_id: 'cred_xyz789',
          credential_type: 'PIN',
          channel_name: 'Front Door',
          timestamp: '2024-01-15T14:30:00Z',
        }),
      ],
    });
    expect(k.json('event', 'list', '--since', '2024-01-16T00:00:00Z')).toEqual({ events: [] });
  });

  it('refuses an invalid configuration with every problem and its path, exit 2', () => {
    const k = cli('pin_policy:\n  min_length: 2\n  weak_pins: maybe\ndoors: []\n');
    const r = k.run('person', 'list');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('invalid configuration');
    expect(r.stderr).toContain('pin_policy.min_length: Too small: expected number to be >=4');
    expect(r.stderr).toContain('pin_policy.weak_pins: Invalid option: expected one of "warn"|"reject"');
    expect(r.stderr).toContain('doors: at least one door is needed');
  });

  it('describes and checks the configuration', () => {
    const k = cli('site: { time_zone: Europe/Paris }\n');
    expect(k.run('config', 'describe').stdout).toMatch(
      /pin_policy\.weak_pins \(warn\|reject\)\n.*\n\s+default: "warn"\n\s+env: KEYPADD_PIN_POLICY__WEAK_PINS/,
    );
    expect(k.json('config', 'check')).toMatchObject({ site: { time_zone: 'Europe/Paris' }, data_dir: k.dataDir });
  });

  it('exits 1, not 2, on a damaged database, and says what to do', () => {
    const k = cli();
    k.json('person', 'list');
    const db = openDatabase(k.dataDir);
    const insert = db.prepare(`INSERT INTO people (first_name, last_name, created_at, updated_at) VALUES (?, ?, 'x', 'x')`);
    db.transaction(() => {
      for (let i = 0; i < 2000; i++) insert.run(`P${i}`, 'x'.repeat(90));
    })();
    db.close();
    const file = join(k.dataDir, 'keypadd.db');
    const fd = openSync(file, 'r+');
    writeSync(fd, Buffer.alloc(8192, 0x5a), 0, 8192, Math.floor(statSync(file).size / 2 / 4096) * 4096);
    closeSync(fd);
    const r = k.run('person', 'list');
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/failed its integrity check.*move .* aside/s);
  });
});
