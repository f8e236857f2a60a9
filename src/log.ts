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
    if (ORDER[l] <= ORDER[state.level]) sink(`${journal ? PRIORITY[l] : ''}${l} ${component}: ${msg}`);
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
