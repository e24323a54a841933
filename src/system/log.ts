// Logging as typed events; sinks decide how to show them. The CLI logs to stderr; the boot stage
// adds the kernel log (with an `oroot:` prefix) and a file under /run (see overlayroot/report).
// Nothing secret is ever passed to a logger: callers log names, sizes and fingerprints only.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogEvent {
  level: LogLevel;
  message: string;
  /** Milliseconds since the logger was created, for boot timing. */
  atMs: number;
}

export type LogSink = (event: LogEvent) => void;

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

const levelRank: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(sinks: readonly LogSink[], minLevel: LogLevel = 'info'): Logger {
  const started = performance.now();
  const emit = (level: LogLevel, message: string): void => {
    if (levelRank[level] < levelRank[minLevel]) return;
    const event: LogEvent = { level, message, atMs: performance.now() - started };
    for (const sink of sinks) sink(event);
  };
  return {
    debug: (message) => emit('debug', message),
    info: (message) => emit('info', message),
    warn: (message) => emit('warn', message),
    error: (message) => emit('error', message),
  };
}

/** "oroot: warning: …" on stderr, the way the CLI talks to a person. */
export function stderrSink(write: (text: string) => void = (text) => process.stderr.write(text)): LogSink {
  return ({ level, message }) => {
    const label = level === 'info' || level === 'debug' ? '' : `${level === 'warn' ? 'warning' : 'error'}: `;
    write(`oroot: ${label}${message}\n`);
  };
}

export function stderrLogger(minLevel: LogLevel = 'warn'): Logger {
  return createLogger([stderrSink()], minLevel);
}

/** A logger that remembers events, for tests and for reports. */
export function memoryLogger(minLevel: LogLevel = 'debug'): Logger & { events: LogEvent[] } {
  const events: LogEvent[] = [];
  const logger = createLogger([(event) => events.push(event)], minLevel);
  return Object.assign(logger, { events });
}
