// One structured logger (pino, JSON lines). Lines about an event carry source, event id, recipe, workflow id.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(env: Record<string, string | undefined> = process.env): Logger {
  return pino({ level: env.LOG_LEVEL ?? (env.NODE_ENV === 'test' ? 'warn' : 'info'), base: { app: 'hookflow' } });
}
