/**
 * Names, notes and labels holding newlines or escape codes, against a real daemon, its CLI and its API: refused at
 * every way in with the field named, and written out (never raw) in log lines and tables for data that has them.
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPerson, checkRole } from '../../src/sync/records.js';
import { apiDaemon, type ApiClient } from '../helpers/api-client.js';
import { Cli } from '../helpers/cli.js';
import { eventually, type SimDaemon } from '../helpers/daemon.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
let d: SimDaemon;
let api: ApiClient;

beforeAll(async () => {
  ({ d, api } = await apiDaemon('', cleanups));
}, 30_000);
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const FORGED = 'Eve\n<3>error keypadd: door 1 forced open';
const ESC = 'Mallory\x1b[2J\x1b[31m';
const REFUSED = 'must not contain control characters (newlines, tabs, escape codes)';

describe('control characters in names, notes and labels', () => {
  it('are refused by the API with the field named, and nothing is stored', async () => {
    const r = await api.post('/api/3/people', { first_name: FORGED, last_name: ESC, notes: 'a\u202eb' });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual({ first_name: [REFUSED], last_name: [REFUSED], notes: [REFUSED] });
    const ok = await api.post('/api/3/people', { first_name: 'Plain', last_name: 'Name' });
    expect((await api.put(`/api/3/people/${ok.body.id as number}`, { notes: 'line\nbreak' })).body.errors).toEqual({ notes: [REFUSED] });
  });

  it('are refused by the CLI (person, role and token names) with exit 2', () => {
    for (const args of [
      ['person', 'add', '--first-name', FORGED, '--last-name', 'X'],
      ['role', 'add', '--name', ESC],
      ['token', 'add', '--scope', 'account.person', '--name', 'hr\nscript'],
    ]) {
      const r = d.cli.run(...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain(REFUSED);
    }
  });

  it('are refused in records from an upstream and in the config', () => {
    expect(checkPerson({ id: 1, first_name: FORGED, last_name: 'X' })).toEqual({ ok: false, field: 'first_name', reason: REFUSED });
    expect(checkRole({ id: 1, name: ESC }, new Map())).toEqual({ ok: false, field: 'name', reason: REFUSED });
    const dir = scratchDir();
    cleanups.push(dir.remove);
    const r = new Cli(dir.dir, 'site: { name: "Lab\\e[2J" }\ndoors: [{ id: 1, name: "Front\\n<3>Door" }]\n').run('config', 'check');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`site.name: ${REFUSED}`);
    expect(r.stderr).toContain(`doors[0].name: ${REFUSED}`);
  });

  it('are written out in log lines and CLI tables when the database already holds them', async () => {
    const db = new Database(join(d.cli.dataDir, 'keypadd.db'));
    db.prepare('UPDATE people SET first_name = ?, last_name = ? WHERE id = 1').run(FORGED, ESC);
    db.close();
    d.key(`${d.demoPin()}#`);
    await eventually(
      () => d.stderr,
      (s) => s.includes('access_granted'),
    );
    const lines = d.stderr.split('\n');
    expect(lines.some((l) => l.startsWith('<3>'))).toBe(false);
    expect(d.stderr).toContain('Eve\\n<3>error keypadd: door 1 forced open Mallory\\x1b[2J\\x1b[31m');
    const list = d.cli.run('person', 'list');
    expect(list.stdout).not.toContain('\x1b');
    expect(list.stdout).toContain('Eve\\n<3>error');
    const show = d.cli.run('person', 'show', '1');
    expect(show.stdout).not.toContain('\x1b');
  });
});
