// The Temporal SDK's process-wide runtime: its own logs and the native core's go through our pino
// logger, at warn and above, instead of raw lines on stderr. Installed once, before the first worker.
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { createLogger, type Logger } from '../log.js';

let installed = false;

export function installTemporalRuntime(logger: Logger = createLogger()): void {
  if (installed) return;
  installed = true;
  const level = (process.env.TEMPORAL_LOG_LEVEL ?? (process.env.NODE_ENV === 'test' ? 'ERROR' : 'WARN')).toUpperCase() as LogLevel;
  try {
    Runtime.install({
      logger: new DefaultLogger(level, (entry) => {
        const fields = { ...entry.meta, sdk: true };
        const msg = entry.message;
        if (entry.level === 'ERROR') logger.error(fields, msg);
        else if (entry.level === 'WARN') logger.warn(fields, msg);
        else logger.debug(fields, msg);
      }),
      telemetryOptions: { logging: { filter: { core: level, other: 'ERROR' }, forward: {} } },
    });
  } catch {
    // Already installed by the host process (e.g. a test that set its own): keep that one.
  }
}
