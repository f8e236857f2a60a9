/**
 * This controller's identity for DoorFlow's Channel: the MAC address of its first real network interface, and its
 * serial (the Pi's board serial, else the machine id). Read once at start; a machine without either says so honestly
 * (00:00:00:00:00:00, null) rather than invent one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import type { ControllerIdentity } from '../door/door-views.js';

const read = (path: string): string | null => {
  try {
    return readFileSync(path, 'utf8').replace(/\0/g, '').trim() || null;
  } catch {
    return null;
  }
};

export function controllerIdentity(): ControllerIdentity {
  let mac = '00:00:00:00:00:00';
  try {
    // Wired first (eth*, end*, en*), then wireless; never loopback or virtual bridges.
    const names = readdirSync('/sys/class/net')
      .filter((n) => n !== 'lo' && !/^(docker|veth|br-|virbr|tun|tap)/.test(n))
      .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b));
    for (const n of names) {
      const address = read(`/sys/class/net/${n}/address`);
      if (address && /^([0-9a-f]{2}:){5}[0-9a-f]{2}$/i.test(address) && address !== '00:00:00:00:00:00') {
        mac = address.toLowerCase();
        break;
      }
    }
  } catch {
    // No /sys: keep the all-zero address.
  }
  const cpuSerial = /^Serial\s*:\s*([0-9a-f]+)$/im.exec(read('/proc/cpuinfo') ?? '')?.[1] ?? null;
  const serial = read('/proc/device-tree/serial-number') ?? cpuSerial ?? read('/etc/machine-id');
  return { macAddress: mac, serial };
}

function rank(name: string): number {
  return /^(eth|end|en)/.test(name) ? 0 : /^wl/.test(name) ? 1 : 2;
}
