import pino, { type Logger } from 'pino';
import { encodeBody } from '../protocols/envelope/index.ts';
import { logEventSubject } from '../protocols/subjects/index.ts';
import type { ActorSystem } from '../runtime/index.ts';
import { REDACT, stderrDestination } from './logger.ts';

/**
 * Where a node's log can be read from elsewhere: `troupe.<sys>.evt.<node>.log`, one pino
 * line (decoded to an object, MessagePack like every event) per message. `troupe logs -f`
 * and the dashboard follow it; `--log-file` keeps the same lines on disk for `troupe logs`
 * without `-f`.
 */
export function logSubject(system: string, node: string): string {
  return logEventSubject(system, node);
}

/** Lines logged before the system (and its connection) exists: a few, then dropped. */
const EARLY_LINES = 200;

export interface NodeLog {
  readonly logger: Logger;
  /** Start mirroring lines to the node's log subject (once the system is connected). */
  attach(system: ActorSystem): void;
  /** Flush the file, stop mirroring. */
  close(): void;
}

/**
 * The logger `troupe up` hands its system: stderr as before, plus the log file when asked,
 * plus the log subject when the node is on NATS. A mirror that cannot publish drops the line:
 * logging never fails the node.
 */
export function nodeLog(o: {
  level: string;
  file?: string | undefined;
  mirror: boolean;
  format?: 'pretty' | 'json' | undefined;
}): NodeLog {
  const level = o.level as pino.Level;
  const streams: pino.StreamEntry[] = [{ level, stream: stderrDestination(o.format) }];
  const file =
    o.file === undefined
      ? null
      : pino.destination({ dest: o.file, append: true, mkdir: true, sync: true });
  if (file !== null) streams.push({ level, stream: file });
  let publish: ((line: string) => void) | null = null;
  let early: string[] | null = [];
  if (o.mirror) {
    streams.push({
      level,
      stream: {
        write(line: string) {
          if (publish !== null) publish(line);
          else if (early !== null && early.length < EARLY_LINES) early.push(line);
        },
      },
    });
  }
  const logger = pino(
    { level, redact: { paths: REDACT, censor: '[redacted]' } },
    pino.multistream(streams),
  );
  return {
    logger,
    attach(system) {
      const nc = system.nats;
      if (nc === undefined || !o.mirror) return;
      const subject = logSubject(system.name, system.node);
      publish = (line) => {
        if (nc.isClosed()) return;
        try {
          nc.publish(subject, encodeBody(JSON.parse(line)));
        } catch {
          // A line NATS refuses (too large, connection draining) stays in the file and stderr.
        }
      };
      for (const line of early ?? []) publish(line);
      early = null;
    },
    close() {
      publish = null;
      early = null;
      file?.flushSync();
    },
  };
}
