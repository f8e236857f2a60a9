/** `keypadd user add|list|delete|passwd` on a real database: passwords from stdin only, kept as scrypt hashes. */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Cli } from '../helpers/cli.js';
import { scratchDir } from '../helpers/scratch.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

function cli(): Cli {
  const d = scratchDir('keypadd-users-');
  cleanups.push(d.remove);
  return new Cli(d.dir);
}

function rows(k: Cli, sql: string): Record<string, unknown>[] {
  const db = new Database(join(k.dataDir, 'keypadd.db'), { readonly: true });
  try {
    return db.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    db.close();
  }
}

describe('console users', () => {
  it('adds a user with the password from stdin, keeps only a scrypt hash, and lists no hash', () => {
    const k = cli();
    const added = k.runWithInput('correct horse battery\n', 'user', 'add', 'ada', '--role', 'admin', '--password', '-');
    expect(added).toMatchObject({ status: 0, stdout: 'Console user ada (admin) added\n' });
    const [stored] = rows(k, 'SELECT * FROM console_users');
    expect(stored!.password_hash).toMatch(/^scrypt\$32768\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(JSON.stringify(stored)).not.toContain('correct horse');
    const list = k.json<Record<string, unknown>[]>('user', 'list');
    expect(list).toEqual([
      { id: 1, name: 'ada', role: 'admin', created_at: expect.stringMatching(/Z$/), password_changed_at: expect.stringMatching(/Z$/) },
    ]);
    expect(k.run('user', 'list').stdout).toMatch(/^1\s+ada\s+admin\s/m);
    expect(rows(k, 'SELECT user_name, action, target FROM console_audit')).toEqual([{ user_name: 'cli', action: 'user.add', target: 'user:ada' }]);
  });

  it('refuses a password on the command line, a short one, an unknown role and a second user of the same name', () => {
    const k = cli();
    const argv = k.run('user', 'add', 'bob', '--role', 'viewer', '--password', 'hunter2hunter2');
    expect(argv.status).toBe(2);
    expect(argv.stderr).toContain('password: pass --password - and give the password on stdin');
    const short = k.runWithInput('short\n', 'user', 'add', 'bob', '--role', 'viewer', '--password', '-');
    expect(short.status).toBe(2);
    expect(short.stderr).toContain('password: must be at least 10 characters');
    const role = k.runWithInput('long enough pw\n', 'user', 'add', 'bob', '--role', 'root', '--password', '-');
    expect(role.status).toBe(2);
    expect(role.stderr).toContain('role: must be one of admin, operator, viewer');
    expect(k.runWithInput('long enough pw\n', 'user', 'add', 'bob', '--role', 'viewer', '--password', '-').status).toBe(0);
    const twice = k.runWithInput('long enough pw\n', 'user', 'add', 'BOB', '--role', 'admin', '--password', '-');
    expect(twice.status).toBe(2);
    expect(twice.stderr).toContain('name: a console user named BOB already exists');
    expect(rows(k, 'SELECT name, role FROM console_users')).toEqual([{ name: 'bob', role: 'viewer' }]);
  });

  it('changes a password (a new hash, sessions ended) and deletes a user', () => {
    const k = cli();
    k.runWithInput('first password\n', 'user', 'add', 'cy', '--role', 'operator', '--password', '-');
    const before = rows(k, 'SELECT password_hash FROM console_users')[0]!.password_hash;
    expect(k.runWithInput('second password\n', 'user', 'passwd', 'cy', '--password', '-')).toMatchObject({ status: 0 });
    expect(rows(k, 'SELECT password_hash FROM console_users')[0]!.password_hash).not.toBe(before);
    expect(k.run('user', 'delete', 'nobody')).toMatchObject({ status: 2, stderr: expect.stringContaining('name: no console user named nobody') });
    expect(k.run('user', 'delete', 'cy')).toMatchObject({ status: 0, stdout: 'Console user cy deleted\n' });
    expect(rows(k, 'SELECT * FROM console_users')).toEqual([]);
    expect(rows(k, 'SELECT action FROM console_audit ORDER BY id').map((r) => r.action)).toEqual(['user.add', 'user.passwd', 'user.delete']);
  });
});
