/**
 * PINs made over the API follow the same policy as the CLI's, and say the same things: weak and door-refused PINs
 * come with the CLI's warnings, weak ones are refused where the policy says reject, and `pin_policy.custom: refuse`
 * leaves generated PINs only, on every path.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { apiDaemon, person } from '../helpers/api-client.js';

const cleanups: (() => void)[] = [];
afterAll(() => cleanups.splice(0).forEach((f) => f()));

const pinBody = (value: string) => ({ person_credential: { credential_type_id: 6, value, enabled: true } });

describe('PIN policy over the API', () => {
  it('answers a weak or door-refused PIN with the warnings the CLI prints', async () => {
    const { d, api } = await apiDaemon('doors: [{ id: 1, name: Front Door, pin_policy: { min_length: 6, generated_length: 6 } }]\n', cleanups);
    const viaApi = await api.post(`/api/3/people/${await person(api, 'Weak')}/credentials`, pinBody('0000'));
    expect(viaApi.status).toBe(201);
    expect(viaApi.body.warnings).toEqual([
      'weak PIN: it repeats one digit; a generated PIN ("******") is safer',
      'door 1 (Front Door) accepts only 6-8 digit PINs; this PIN will not open it',
    ]);
    const viaCli = d.cli.run('pin', 'add', '--person', String(await person(api, 'WeakCli')), '--value', '1111');
    expect(viaCli.status).toBe(0);
    expect(viaCli.stderr.trim().split('\n')).toEqual(viaApi.body.warnings.map((w: string) => `warning: ${w}`));
    // Nothing to say is said as an empty list, so scripts can always read the field.
    const fine = await api.post(`/api/3/people/${await person(api, 'Fine')}/credentials`, pinBody('******'));
    expect(fine.body.warnings).toEqual([]);
  });

  it('refuses a weak custom PIN where pin_policy.weak_pins is reject', async () => {
    const { api } = await apiDaemon('pin_policy: { weak_pins: reject }\n', cleanups);
    const r = await api.post(`/api/3/people/${await person(api, 'Reject')}/credentials`, pinBody('0000'));
    expect(r.status).toBe(422);
    expect(r.body.errors.value[0]).toMatch(/^is too easy to guess: it repeats one digit/);
  });

  it('with pin_policy.custom: refuse, makes generated PINs only, over the API and the CLI', async () => {
    const { d, api } = await apiDaemon('pin_policy: { custom: refuse }\n', cleanups);
    const id = await person(api, 'Custom');
    const custom = await api.post(`/api/3/people/${id}/credentials`, pinBody('583920'));
    expect(custom.status).toBe(422);
    expect(custom.body.errors).toEqual({ value: ['custom PINs are refused here (pin_policy.custom: refuse): send "******" for a generated one'] });
    const cli = d.cli.run('pin', 'add', '--person', String(id), '--value', '583920');
    expect(cli.status).toBe(2);
    expect(cli.stderr).toContain('pin_policy.custom: refuse');
    const generated = await api.post(`/api/3/people/${id}/credentials`, pinBody('******'));
    expect(generated.status).toBe(201);
    expect(generated.body.value).toMatch(/^\d{6}$/);
  });
});
