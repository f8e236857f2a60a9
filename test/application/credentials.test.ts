import { createHash, createHmac } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createCredential, deleteCredential, listCredentials, updateCredential, cardValueFromFacility } from '../../src/application/credentials.js';
import { addPerson } from '../../src/application/people.js';
import { refusal } from '../helpers/refusal.js';
import { openScratch, type Scratch } from '../helpers/scratch.js';

let s: Scratch;
afterEach(() => s?.close());

const PIN = 6;
const CARD = 5;

function person(first = 'Jane', last = 'Visitor'): number {
  return addPerson(s.ctx, { first_name: first, last_name: last }).id;
}

function rowCounts(): Record<string, number> {
  const n = (t: string) => (s.ctx.store.db.prepare(`SELECT count(*) n FROM ${t}`).get() as { n: number }).n;
  return { people: n('people'), credentials: n('credentials'), reservations: n('reservations') };
}

describe('PIN credentials (the guide, option A and B)', () => {
  it('generates a secure 6-digit PIN for "******" and shows it once', () => {
    s = openScratch();
    const id = person();
    const { credential, warnings } = createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '******', enabled: true });
    expect(credential).toMatchObject({ credential_type_id: 6, enabled: true, person_id: id, label: 'PIN' });
    expect(credential.id).toMatch(/^cred_[A-Za-z0-9]{16}$/);
    expect(credential.value).toMatch(/^[0-9]{6}$/);
    expect(credential.created_at).toBe('2026-01-15T12:00:00Z');
    expect(warnings).toEqual([]);
    // Digest storage: the value is never shown again.
    expect(listCredentials(s.ctx, { person_id: id })[0]!.value).toBeNull();
  });

  it("accepts the guide's custom PIN 5678 with a warning that names why it is weak", () => {
    s = openScratch();
    const { credential, warnings } = createCredential(s.ctx, { person_id: person(), credential_type_id: PIN, value: '5678', enabled: true });
    expect(credential.value).toBe('5678');
    expect(warnings.join('\n')).toMatch(/weak PIN: it is an ascending sequence/);
    expect(warnings.join('\n')).not.toContain('5678');
  });

  it('refuses weak custom PINs when the policy says reject', () => {
    s = openScratch({ pin_policy: { weak_pins: 'reject' } });
    const id = person();
    const before = rowCounts();
    const r = refusal(() => createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '1999' }));
    expect(r.kind).toBe('validation');
    expect(r.errors.value![0]).toMatch(/too easy to guess: it looks like a year/);
    expect(rowCounts()).toEqual(before);
    expect(createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '5839' }).credential.value).toBe('5839');
  });

  it.each([
    ['123', 'must be 4 to 8 digits'],
    ['12AB', 'digits only'],
    ['1234 ', 'digits only'],
    ['', 'must not be empty'],
  ])("refuses the guide's invalid PIN %j and changes nothing", (value, message) => {
    s = openScratch();
    const id = person();
    const before = rowCounts();
    const r = refusal(() => createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value }));
    expect(r.errors).toEqual({ value: [expect.stringContaining(message)] });
    expect(rowCounts()).toEqual(before);
  });

  it('treats leading zeros as significant', () => {
    s = openScratch();
    createCredential(s.ctx, { person_id: person('A', 'A'), credential_type_id: PIN, value: '0472' });
    expect(createCredential(s.ctx, { person_id: person('B', 'B'), credential_type_id: PIN, value: '00472' }).credential.value).toBe('00472');
  });

  it('keeps a PIN unique across people without saying whose it is', () => {
    s = openScratch();
    const first = person('Ann', 'Owner');
    createCredential(s.ctx, { person_id: first, credential_type_id: PIN, value: '5839' });
    const r = refusal(() => createCredential(s.ctx, { person_id: person('Bob', 'Other'), credential_type_id: PIN, value: '5839' }));
    expect(r.errors).toEqual({ value: ['is already in use'] });
    expect(r.message).not.toMatch(/Ann|Owner|person 1/);
  });

  it('gives a person at most one PIN: a second is a conflict naming the existing credential', () => {
    s = openScratch();
    const id = person();
    const { credential } = createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '******' });
    const r = refusal(() => createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '******' }));
    expect(r.kind).toBe('conflict');
    expect(r.message).toContain(credential.id);
    expect(r.existing).toMatchObject({ id: credential.id, value: null });
  });

  it('never changes a value: disable, enable, and the reset flow of the guide', () => {
    s = openScratch();
    const id = person();
    const { credential: old } = createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '5839' });
    const r = refusal(() => updateCredential(s.ctx, old.id, { value: '9182' }));
    expect(r.errors).toEqual({ value: ['cannot be changed: delete it and create a new one'] });
    // Even the PIN held is refused, uncompared: "same" against "different" would say who holds which PIN.
    expect(refusal(() => updateCredential(s.ctx, old.id, { value: '5839', enabled: false })).errors).toEqual(r.errors);
    expect(updateCredential(s.ctx, old.id, { enabled: false }).enabled).toBe(false);
    expect(updateCredential(s.ctx, old.id, { enabled: true }).enabled).toBe(true);
    // Reset: delete the old PIN, create a new generated one.
    deleteCredential(s.ctx, old.id);
    const fresh = createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '******' }).credential;
    expect(fresh.id).not.toBe(old.id);
    expect(listCredentials(s.ctx, { person_id: id }).map((c) => c.id)).toEqual([fresh.id]);
    // The old value is free again.
    expect(createCredential(s.ctx, { person_id: person('New', 'Person'), credential_type_id: PIN, value: '5839' }).credential.value).toBe('5839');
  });

  it('lists PIN values as DoorFlow does under plaintext storage', () => {
    s = openScratch({ pin_policy: { storage: 'plaintext' } });
    const id = person();
    createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '5839' });
    expect(listCredentials(s.ctx, { person_id: id })[0]!.value).toBe('5839');
  });

  it('uses the number of asterisks as the length, and the policy default otherwise', () => {
    s = openScratch({ pin_policy: { generated_length: 7 } });
    expect(createCredential(s.ctx, { person_id: person('A', 'A'), credential_type_id: PIN, value: '****' }).credential.value).toHaveLength(4);
    expect(createCredential(s.ctx, { person_id: person('B', 'B'), credential_type_id: PIN, value: '***' }).credential.value).toHaveLength(7);
    expect(createCredential(s.ctx, { person_id: person('C', 'C'), credential_type_id: PIN }).credential.value).toHaveLength(7);
  });

  it('warns past 1/1000 density and names the length that restores it', () => {
    s = openScratch();
    const warnings: string[][] = [];
    for (let i = 0; i < 11; i++) {
      warnings.push(createCredential(s.ctx, { person_id: person(`P${i}`, 'X'), credential_type_id: PIN, value: '****' }).warnings);
    }
    expect(warnings.slice(0, 10).flat()).toEqual([]);
    expect(warnings[10]!.join()).toMatch(/11 active 4-digit PINs exceed 1\/1000 .* issue 5-digit PINs instead/);
  });

  it('generates PINs long enough for every door unless the request names a length', () => {
    s = openScratch({
      doors: [
        { id: 1, name: 'Front Door' },
        { id: 2, name: 'Lab', pin_policy: { min_length: 7, generated_length: 7 } },
      ],
    });
    const fitting = createCredential(s.ctx, { person_id: person('A', 'A'), credential_type_id: PIN, value: '******' });
    expect(fitting.credential.value).toHaveLength(6); // six asterisks ask for six digits...
    expect(fitting.warnings).toEqual([expect.stringMatching(/door 2 \(Lab\) accepts only 7-8 digit PINs/)]);
    const chosen = createCredential(s.ctx, { person_id: person('B', 'B'), credential_type_id: PIN });
    expect(chosen.credential.value).toHaveLength(7); // ...while no length asks for one that opens every door
    expect(chosen.warnings).toEqual([]);
  });

  it('warns when a door with a narrower policy will not take the PIN', () => {
    s = openScratch({
      doors: [
        { id: 1, name: 'Front Door' },
        { id: 2, name: 'Server Room', pin_policy: { min_length: 6, weak_pins: 'reject' } },
      ],
    });
    const short = createCredential(s.ctx, { person_id: person('A', 'A'), credential_type_id: PIN, value: '5839' });
    expect(short.warnings).toEqual([expect.stringMatching(/door 2 \(Server Room\) accepts only 6-8 digit PINs/)]);
    const weak = createCredential(s.ctx, { person_id: person('B', 'B'), credential_type_id: PIN, value: '123123' });
    expect(weak.warnings.join('\n')).toMatch(/door 2 \(Server Room\) rejects weak PINs/);
  });

  it('refuses credentials for a person that does not exist', () => {
    s = openScratch();
    expect(refusal(() => createCredential(s.ctx, { person_id: 42, credential_type_id: PIN })).kind).toBe('not_found');
  });
});

describe('card credentials', () => {
  it('stores the decimal number, by number or by facility + card, one card per person, unique', () => {
    s = openScratch();
    const a = person('A', 'A');
    const card = createCredential(s.ctx, { person_id: a, credential_type_id: CARD, value: '1234567890' }).credential;
    expect(card).toMatchObject({ value: '1234567890', label: 'Card', credential_type_id: 5 });
    expect(listCredentials(s.ctx, { person_id: a })[0]!.value).toBe('1234567890');
    expect(refusal(() => createCredential(s.ctx, { person_id: a, credential_type_id: 'credentials_number', value: '5' })).kind).toBe('conflict');
    const b = person('B', 'B');
    expect(refusal(() => createCredential(s.ctx, { person_id: b, credential_type_id: CARD, value: '001234567890' })).errors).toEqual({
      value: ['is already in use'],
    });
    const fc = createCredential(s.ctx, { person_id: b, credential_type_id: CARD, value: cardValueFromFacility('12', '345') }).credential;
    expect(fc.value).toBe('786777');
  });

  it('accepts the DoorFlow slugs and refuses unknown types', () => {
    s = openScratch();
    expect(createCredential(s.ctx, { person_id: person(), credential_type_id: 'pin', value: '******' }).credential.credential_type_id).toBe(6);
    expect(refusal(() => createCredential(s.ctx, { person_id: 1, credential_type_id: 7 })).errors).toHaveProperty('credential_type_id');
  });
});

describe('PIN at rest', () => {
  function grepDataDir(needles: string[]): string[] {
    const found: string[] = [];
    for (const f of readdirSync(s.dir)) {
      const bytes = readFileSync(join(s.dir, f)).toString('latin1');
      for (const n of needles) if (bytes.includes(n)) found.push(`${f}: ${n}`);
    }
    return found;
  }

  function issuePins(): string[] {
    return Array.from(
      { length: 20 },
      (_, i) => createCredential(s.ctx, { person_id: person(`P${i}`, 'X'), credential_type_id: PIN, value: '********' }).credential.value!,
    );
  }

  it('digest storage: no PIN is found in the database, -wal or -shm files', () => {
    s = openScratch();
    const pins = issuePins();
    expect(readdirSync(s.dir)).toEqual(expect.arrayContaining(['keypadd.db', 'keypadd.db-wal']));
    expect(grepDataDir(pins)).toEqual([]);
  });

  it('digest storage: the stored digest is HMAC-SHA256 of the PIN under the bytes of pin.key, as computed here', () => {
    s = openScratch();
    const key = Buffer.from(readFileSync(join(s.dir, 'pin.key'), 'utf8').trim(), 'hex');
    expect(key).toHaveLength(32);
    const stored = (id: string) =>
      s.ctx.store.db.prepare(`SELECT value, digest FROM credentials WHERE id = ?`).get(id) as { value: string | null; digest: string };
    const generated = createCredential(s.ctx, { person_id: person('A', 'A'), credential_type_id: PIN, value: '******' }).credential;
    const custom = createCredential(s.ctx, { person_id: person('B', 'B'), credential_type_id: PIN, value: '0583920' }).credential;
    for (const [id, pin] of [
      [generated.id, generated.value!],
      [custom.id, '0583920'],
    ] as const) {
      const row = stored(id);
      expect(row.value).toBe(null);
      expect(row.digest).toBe(createHmac('sha256', key).update(pin, 'utf8').digest('base64url'));
      // An unkeyed hash of a 4-8 digit PIN falls to a table of 10^8 entries; it must not be what is stored.
      expect(row.digest).not.toBe(createHash('sha256').update(pin, 'utf8').digest('base64url'));
    }
  });

  it('plaintext storage: the same search finds them (the check can fail)', () => {
    s = openScratch({ pin_policy: { storage: 'plaintext' } });
    const pins = issuePins();
    expect(grepDataDir(pins)).toHaveLength(pins.length);
  });
});

describe('listing credentials', () => {
  it('lists credentials made in the same second in the order they were made, not by their random ids', () => {
    s = openScratch();
    const made = ['Ann', 'Ben', 'Cas', 'Dee', 'Eve', 'Fay', 'Gus', 'Hal'].map(
      (first) => createCredential(s.ctx, { person_id: person(first, 'Same-Second'), credential_type_id: PIN, value: '******' }).credential.id,
    );
    expect(new Set(listCredentials(s.ctx, {}).map((c) => c.created_at)).size).toBe(1);
    expect(listCredentials(s.ctx, {}).map((c) => c.id)).toEqual(made);
  });
});

describe('duress PINs (issue 20: keypadd extension duress: true)', () => {
  it('a person has a duress PIN beside their PIN, at most one; a card cannot be one, and a non-boolean is refused', () => {
    s = openScratch();
    const id = person();
    createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '583920' });
    const duress = createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '694031', duress: true }).credential;
    expect(duress).toMatchObject({ duress: true, person_id: id, label: 'PIN' });
    expect(listCredentials(s.ctx, { person_id: id }).map((c) => c.duress)).toEqual([false, true]);
    const second = refusal(() => createCredential(s.ctx, { person_id: id, credential_type_id: PIN, value: '705142', duress: true }));
    expect(second.kind).toBe('conflict');
    expect(second.errors['duress']?.[0]).toContain('already has a duress PIN');
    const card = refusal(() => createCredential(s.ctx, { person_id: id, credential_type_id: CARD, value: '1234567', duress: true }));
    expect(card.errors['duress']).toEqual(['only a PIN can be a duress PIN']);
    const odd = refusal(() => createCredential(s.ctx, { person_id: person('Bob', 'Other'), credential_type_id: PIN, duress: 'yes' }));
    expect(odd.errors['duress']).toEqual(['must be true or false']);
    // The database refuses a duress card too, whatever the caller.
    createCredential(s.ctx, { person_id: id, credential_type_id: CARD, value: '7654321' });
    expect(() => s.ctx.store.db.prepare(`UPDATE credentials SET duress = 1 WHERE credential_type_id = ${CARD}`).run()).toThrow(/CHECK/);
  });
});
