/**
 * The console beyond loopback over plain HTTP is allowed but never silent (doctor, the start log and the login page
 * say so).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/broker.js';
import { eventually, simDoor } from '../helpers/daemon.js';
import { webExposure } from '../../src/api/exposure.js';
import { configSchema } from '../../src/config/schema.js';

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));

const config = (web: Record<string, unknown>) => configSchema.parse({ web });

describe('console exposure', () => {
  it('warns for a LAN address without TLS, and not on loopback, with TLS, or when off', () => {
    expect(webExposure(config({ enabled: true, listen: '0.0.0.0:8080' }))).toContain(
      'passwords, session cookies and new PINs cross the network in clear text',
    );
    expect(webExposure(config({ enabled: true, listen: '[::]:8080' }))).not.toBeNull();
    expect(webExposure(config({ enabled: true, listen: '127.0.0.1:8080' }))).toBeNull();
    expect(webExposure(config({ enabled: true, listen: '[::1]:8080' }))).toBeNull();
    expect(webExposure(config({ enabled: true, listen: '0.0.0.0:8080', tls: { cert_file: '/c.pem', key_file: '/k.pem' } }))).toBeNull();
    expect(webExposure(config({ enabled: false, listen: '0.0.0.0:8080' }))).toBeNull();
  });
});

describe('the login page', () => {
  it('warns while the console is reachable beyond this machine over plain HTTP, and not on loopback', async () => {
    for (const [host, warned] of [
      ['0.0.0.0', true],
      ['127.0.0.1', false],
    ] as const) {
      const port = await freePort();
      const d = simDoor(`web: { enabled: true, listen: "${host}:${port}" }\n`, cleanups);
      await d.start();
      await eventually(
        () => d.stderr,
        (s) => s.includes('console listening'),
        20_000,
      );
      const page = await (await fetch(`http://127.0.0.1:${port}/login`)).text();
      expect(page.includes('Not encrypted: the console listens on'), host).toBe(warned);
      await d.stop();
    }
  }, 60_000);
});
