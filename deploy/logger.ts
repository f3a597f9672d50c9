import { createRequire } from 'node:module';
import pino, { type Logger } from 'pino';

/** Keys a log line must never show: credentials and message bodies. */
export const REDACT = [
  'pass',
  'password',
  'token',
  'secret',
  'credsFile',
  'body',
  '*.pass',
  '*.password',
  '*.token',
  '*.secret',
  '*.body',
];

/**
 * The CLI's logger, on stderr so program output on stdout stays clean: human lines when
 * stderr is a terminal (or `logFormat: 'pretty'`), pino JSON lines otherwise.
 */
export function makeLogger(
  c: { logLevel: string; logFormat?: 'pretty' | 'json' | undefined },
  stream: NodeJS.WriteStream = process.stderr,
): Logger {
  const fd = (stream as { fd?: number }).fd ?? 2;
  const format = c.logFormat ?? (stream.isTTY ? 'pretty' : 'json');
  const opts = { level: c.logLevel, redact: { paths: REDACT, censor: '[redacted]' } };
  if (format === 'json') return pino(opts, pino.destination({ fd: fd, sync: false }));
  // pino-pretty is CommonJS: require it only when a human is reading.
  const pretty = createRequire(import.meta.url)('pino-pretty') as (
    o: object,
  ) => NodeJS.WritableStream;
  return pino(
    opts,
    pretty({
      destination: fd,
      sync: true,
      colorize: stream.isTTY === true,
      ignore: 'pid,hostname,system,node',
      translateTime: 'HH:MM:ss.l',
    }),
  );
}

/** The stream a human or a collector reads on stderr: pino-pretty on a terminal, else fd 2. */
export function stderrDestination(logFormat?: 'pretty' | 'json'): pino.DestinationStream {
  const format = logFormat ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (format === 'json') return pino.destination({ fd: 2, sync: false });
  const pretty = createRequire(import.meta.url)('pino-pretty') as (
    o: object,
  ) => NodeJS.WritableStream;
  return pretty({
    destination: 2,
    sync: true,
    colorize: process.stderr.isTTY === true,
    ignore: 'pid,hostname,system,node',
    translateTime: 'HH:MM:ss.l',
  });
}
