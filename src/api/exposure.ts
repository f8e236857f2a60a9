/**
 * An API reachable from the network over plain HTTP sends bearer tokens and new PINs in clear text. It is allowed (a
 * trusted LAN, TLS in front), but never silently: `keypadd doctor` and the daemon's start log say so.
 */
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config/schema.js';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The host part of api.listen ("127.0.0.1:8425", "[::1]:8425", "localhost:8425"). */
export function listenHost(listen: string): string {
  return listen.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
}

/** Why the configured API is exposed, or null (off, loopback only, or served over TLS). */
export function apiExposure(config: Config): string | null {
  const api = config.api;
  if (!api.enabled || (api.cert_file && api.key_file)) return null;
  const host = listenHost(api.listen);
  const family = isIP(host);
  const isLoopback = host === 'localhost' || (family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6'));
  if (isLoopback) return null;
  return `the API listens on ${api.listen}, beyond this machine, over plain HTTP: tokens and new PINs cross the network in clear text`;
}
