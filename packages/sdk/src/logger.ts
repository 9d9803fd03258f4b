export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'off';

const ORDER: LogLevel[] = ['debug', 'info', 'warn', 'error', 'off'];

export interface Logger {
  debug(message: string, data?: unknown): void;
  warn(message: string, data?: unknown): void;
}

/** A console logger at `level`, else $SDEDGE_LOG (Node, Deno, Bun), else warnings only. */
export function createLogger(level?: LogLevel): Logger {
  const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process
    ?.env?.SDEDGE_LOG as LogLevel | undefined;
  const chosen = level ?? (env && ORDER.includes(env) ? env : 'warn');
  const at = ORDER.indexOf(chosen);
  return {
    debug: (message, data) => at <= 0 && console.debug(`[sdedge] ${message}`, data ?? ''),
    warn: (message, data) => at <= 2 && console.warn(`[sdedge] ${message}`, data ?? ''),
  };
}
