/**
 * The installer's documents in the order an installer follows them: the service that install.sh started is stopped
 * before anything claims the door's lines, and every command on an installed Pi runs as the service user.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const section = (text: string, heading: string) => {
  const start = text.indexOf(heading);
  expect(start, heading).toBeGreaterThanOrEqual(0);
  const next = text.indexOf('\n## ', start + heading.length);
  return text.slice(start, next < 0 ? undefined : next);
};
/** Commands in the text that claim the door's GPIO lines: `keypadd test ...` and `keypadd run` without --sim. */
const claimsLines = (text: string) => [...text.matchAll(/keypadd (test \w+|run)(?! --sim)/g)].map((m) => m.index);

describe.each([
  ['README.md', '## Install on a Raspberry Pi'],
  ['hardware/README.md', '## Checking the wiring'],
])('%s, %s', (file, heading) => {
  const text = section(read(file), heading);

  it('stops the service before the first command that claims the door’s lines, and starts it again after the last', () => {
    const claims = claimsLines(text);
    expect(claims.length).toBeGreaterThan(0);
    const stop = text.indexOf('sudo systemctl stop keypadd');
    expect(stop).toBeGreaterThanOrEqual(0);
    expect(stop).toBeLessThan(Math.min(...(claims as number[])));
    expect(text.lastIndexOf('sudo systemctl start keypadd')).toBeGreaterThan(Math.max(...(claims as number[])));
  });

  it('runs every keypadd command to be typed as the service user', () => {
    // Lines of the fenced shell blocks, and inline `sudo ...` spans: what an installer types.
    const typed = [...text.matchAll(/```sh\n([\s\S]*?)```/g)]
      .flatMap((m) => m[1]!.split('\n'))
      .concat([...text.matchAll(/`(sudo [^`]+)`/g)].map((m) => m[1]!));
    const commands = typed
      .map((l) => l.trim())
      .filter((l) => /(^|\s)keypadd \w/.test(l) && !l.includes('systemctl') && !l.includes('systemd/install.sh'));
    expect(commands.length).toBeGreaterThan(0);
    for (const c of commands) expect(c, c).toMatch(/^sudo -u keypadd keypadd /);
  });
});
