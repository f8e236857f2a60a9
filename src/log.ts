/**
 * One logger for the daemon: a line per message on stderr (the journal adds the time), with a component name.
 * Callers never pass a PIN; values that could be secret are not logged at all. Control characters are escaped, so
 * each message is one line whatever the names in it hold (a stack trace included).
 */
import { write, writeSync } from 'node:fs';
import { escapeControl } from './core/text.js';

export type Level = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  child(component: string): Logger;
  /** Changes the level of this logger and all its children (SIGUSR2 toggles debug). */
  setLevel(level: Level): void;
  readonly level: Level;
}

/** Under systemd (JOURNAL_STREAM set) each line starts with its syslog priority, which journald reads. */
const PRIORITY: Record<Level, string> = { error: '<3>', warn: '<4>', info: '<6>', debug: '<7>' };

export function createLogger(
  component: string,
  level: Level = 'info',
  sink: (line: string) => void = (l) => process.stderr.write(l + '\n'),
  journal = Boolean(process.env.JOURNAL_STREAM),
): Logger {
  const state = { level };
  return make(component, state, sink, journal);
}

function make(component: string, state: { level: Level }, sink: (line: string) => void, journal: boolean): Logger {
  const emit = (l: Level) => (msg: string) => {
    // Escaped: a name or label holding "\n<3>..." must not become a line of its own, at a priority of its choosing.
    if (ORDER[l] <= ORDER[state.level]) sink(`${journal ? PRIORITY[l] : ''}${l} ${component}: ${escapeControl(msg)}`);
  };
  return {
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    child: (c) => make(`${component}.${c}`, state, sink, journal),
    setLevel: (l) => (state.level = l),
    get level() {
      return state.level;
    },
  };
}

/**
 * The daemon's stderr sink. Under systemd stderr is journald's socket, and Node writes to a pipe or socket
 * synchronously: a journald that stalls would stall key and Wiegand handling with it. Lines are queued and written
 * one at a time by libuv's thread pool instead; at most `maxQueued` wait (then lines are dropped and counted, and
 * the count is logged once writing catches up). Whatever is queued at exit is written synchronously.
 */
export function asyncStderrSink(maxQueued = 10_000, fd = 2): (line: string) => void {
  const queue: string[] = [];
  let writing = false;
  /** What a write has taken but not yet finished: written again at exit (a repeated line beats a lost one). */
  let inflight: Buffer | null = null;
  let dropped = 0;
  const next = (): void => {
    if (queue.length === 0) {
      writing = false;
      return;
    }
    writing = true;
    // Everything queued so far in one write: fewer system calls when a burst arrives.
    send(Buffer.from(queue.splice(0, queue.length).join('')));
  };
  const send = (chunk: Buffer): void => {
    inflight = chunk;
    write(fd, chunk, (err, written) => {
      inflight = null;
      // A non-blocking pipe that is full: try again shortly.
      if (err?.code === 'EAGAIN') return void setTimeout(() => send(chunk), 5).unref();
      if (err)
        dropped++; // stderr gone (EPIPE): nothing better to do than count
      else if (written < chunk.length) return send(chunk.subarray(written));
      next();
    });
  };
  process.once('exit', () => {
    try {
      if (inflight) writeSync(fd, inflight);
      if (queue.length > 0) writeSync(fd, queue.splice(0, queue.length).join(''));
    } catch {
      // stderr closed: nothing to tell anyone.
    }
  });
  return (line) => {
    if (queue.length >= maxQueued) {
      dropped++;
      return;
    }
    if (dropped > 0) {
      queue.push(`warn log: ${dropped} log lines were dropped while stderr was not taking them\n`);
      dropped = 0;
    }
    queue.push(line + '\n');
    if (!writing) next();
  };
}
