/**
 * One logger for the daemon: a line per message on stderr (the journal adds the time), with a component name.
 * Callers never pass a PIN; values that could be secret are not logged at all.
 */
export type Level = 'error' | 'warn' | 'info' | 'debug';
const ORDER: Record<Level, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export interface Logger {
  error(msg: string): void;
  warn(msg: string): void;
  info(msg: string): void;
  debug(msg: string): void;
  child(component: string): Logger;
}

export function createLogger(component: string, level: Level = 'info', sink: (line: string) => void = (l) => process.stderr.write(l + '\n')): Logger {
  const emit = (l: Level) => (msg: string) => {
    if (ORDER[l] <= ORDER[level]) sink(`${l} ${component}: ${msg}`);
  };
  return {
    error: emit('error'),
    warn: emit('warn'),
    info: emit('info'),
    debug: emit('debug'),
    child: (c) => createLogger(`${component}.${c}`, level, sink),
  };
}
