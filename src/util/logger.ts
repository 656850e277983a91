import type { JobLogger } from '../types.js';

/** The default logger: one line per message on stderr, fields as JSON. */
export const consoleLogger: JobLogger = {
  info: (message, fields) => write('info', message, fields),
  warn: (message, fields) => write('warn', message, fields),
  error: (message, fields) => write('error', message, fields),
};

function write(level: string, message: string, fields?: Record<string, unknown>): void {
  const tail = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields)}` : '';
  process.stderr.write(`[holdfast] ${level}: ${message}${tail}\n`);
}

/** A logger that adds `fields` (e.g. the job id) to every message. */
export function withFields(logger: JobLogger, fields: Record<string, unknown>): JobLogger {
  return {
    info: (message, more) => logger.info(message, { ...fields, ...more }),
    warn: (message, more) => logger.warn(message, { ...fields, ...more }),
    error: (message, more) => logger.error(message, { ...fields, ...more }),
  };
}
