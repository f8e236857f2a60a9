/**
 * `npm start` on a terminal: the keyboard is the door's keypad. Digits, * and # go to door 1; o opens or closes the
 * door, r presses REX, q (or Ctrl-C) stops. Each event is shown with the relay and LED it caused.
 */
import type { Daemon } from '../daemon.js';
import { SimDoorHardware } from '../drivers/sim/sim-door.js';
import { describeDoor } from './commands/sim.js';

export function attachTerminalKeypad(daemon: Daemon, stop: () => void): () => void {
  const door = daemon.doors.values().next().value;
  if (!door || !(door.hw instanceof SimDoorHardware) || !process.stdin.isTTY) return () => undefined;
  const hw = door.hw;
  const out = (line: string) => process.stdout.write(line + '\n');
  out('Keypad ready: type digits, * to clear, # to enter. o = open/close door, r = REX, s = status, q = quit.');
  daemon.onEvent((e) => out(`  ${e.event_type}${e.reason ? ` (${e.reason})` : ''}: ${e.event_label}`));
  const onData = (data: Buffer) => {
    for (const ch of data.toString('utf8')) {
      if (ch === 'q' || ch === '\u0003') return stop();
      if (/^[0-9*#]$/.test(ch)) {
        // Echo a mark per key, never the digit: someone may be watching the screen.
        process.stdout.write(ch === '#' ? '#\n' : ch === '*' ? '*\n' : '•');
        hw.typeKeys(ch);
        if (ch === '#') setTimeout(() => out('  ' + describeDoor(door.controller.status())), 20);
      } else if (ch === 'o') hw.setDoor(!hw.contact.active);
      else if (ch === 'r') hw.pressRex();
      else if (ch === 's') out('  ' + describeDoor(door.controller.status()));
    }
  };
  process.stdin.setRawMode(true);
  process.stdin.on('data', onData);
  process.stdin.resume();
  return () => {
    process.stdin.off('data', onData);
    process.stdin.setRawMode(false);
    process.stdin.pause();
  };
}
