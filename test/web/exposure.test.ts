/** The console beyond loopback over plain HTTP is allowed but never silent (doctor and the start log say so). */
import { describe, expect, it } from 'vitest';
import { webExposure } from '../../src/api/exposure.js';
import { configSchema } from '../../src/config/schema.js';

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
