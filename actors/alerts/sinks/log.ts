import type { Logger } from 'pino';
import type { Alert } from '../alert.ts';
import type { AlertSink, SendResult } from './sink.ts';

/** Alerts as log lines: always there, whatever else is down. */
export class LogSink implements AlertSink {
  readonly name = 'log';
  constructor(private readonly log: Logger) {}

  async send(a: Alert): Promise<SendResult> {
    const fields = {
      alert: {
        id: a.id,
        rule: a.rule,
        severity: a.severity,
        state: a.state,
        subject: a.subject,
        node: a.node,
        count: a.count,
      },
    };
    const line = `${a.title}: ${a.text}`;
    if (a.state === 'resolved') this.log.info(fields, line);
    else if (a.severity === 'critical' || a.severity === 'error') this.log.error(fields, line);
    else this.log.warn(fields, line);
    return { ok: true };
  }
}
