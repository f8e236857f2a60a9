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

function isLoopback(listen: string): boolean {
  const host = listenHost(listen);
  const family = isIP(host);
  return host === 'localhost' || (family !== 0 && loopback.check(host, family === 4 ? 'ipv4' : 'ipv6'));
}

/** Why the configured console is exposed (beyond this machine over plain HTTP), or null. */
export function webExposure(config: Config): string | null {
  const web = config.web;
  if (!web.enabled || (web.tls.cert_file && web.tls.key_file) || isLoopback(web.listen)) return null;
  return `the console listens on ${web.listen}, beyond this machine, over plain HTTP: passwords, session cookies and new PINs cross the network in clear text`;
}

/** Why the configured API is exposed, or null (off, loopback only, or served over TLS). */
export function apiExposure(config: Config): string | null {
  const api = config.api;
  if (!api.enabled || (api.cert_file && api.key_file) || isLoopback(api.listen)) return null;
  return `the API listens on ${api.listen}, beyond this machine, over plain HTTP: tokens and new PINs cross the network in clear text`;
}
