import { decodeBody, encodeBody } from '../protocols/envelope/index.ts';
import { DEAD_LETTERS_PATH, type DeadLetter } from './dead-letters.ts';
import { KernelService } from './kernel-service.ts';
import { Letter, LetterKind } from './letter.ts';
import { traceIdOf } from './trace.ts';

/**
 * Where undeliverable messages go: counted, reported as an event, logged within a budget,
 * and recorded (with a bounded body) by the dead-letters actor at `sys/dead-letters`.
 */
export class DeadLetterOffice extends KernelService {
  private deadLetterLogBudget = { windowStart: 0, used: 0, suppressed: 0 };
  /** Bytes of a body kept in a record (system option `deadLetterBodyBytes`). */
  deadLetterBodyBytes = 1024;

  deadLetter(to: string, letter: Letter, reason: string): void {
    if (
      to === DEAD_LETTERS_PATH &&
      letter.type === 'record' &&
      letter.from === null &&
      (reason.startsWith('mailboxFull') || reason.startsWith('stopped'))
    ) {
      // The recorder's mailbox dropped a record: the letter was counted when it died.
      this.stats.deadLettersUnrecorded++;
      return;
    }
    this.stats.deadLetters++;
    const at = Date.now();
    if (this.k.events.hasListeners() || this.transport.remote) {
      this.k.emit({ kind: 'deadLetter', to, from: letter.from, type: letter.type, reason, at });
    }
    this.logDeadLetter(to, letter, reason);
    if (to === DEAD_LETTERS_PATH) return;
    const dl = this.cells.get(DEAD_LETTERS_PATH);
    if (dl === undefined || dl.stopped) return;
    const record: DeadLetter = {
      to: to.length > 256 ? to.slice(0, 256) : to,
      from:
        letter.from !== null && letter.from.length > 256 ? letter.from.slice(0, 256) : letter.from,
      type: letter.type.length > 256 ? letter.type.slice(0, 256) : letter.type,
      reason,
      at,
      ...this.boundedBody(letter.body),
    };
    dl.deliver(
      new Letter(LetterKind.tell, 'record', record, null, null, 0, letter.trace, 0),
      false,
    );
  }

  /**
   * A dead letter's body as kept: the value itself when its encoding fits the byte budget,
   * else its first bytes. A flood of large bodies must not hold the node's memory.
   */
  private boundedBody(body: unknown): { body: unknown; size: number | null; truncated: boolean } {
    let bytes: Uint8Array | null = null;
    const raw = body instanceof Uint8Array;
    if (raw) bytes = body;
    else {
      try {
        bytes = encodeBody(body);
      } catch {
        return { body: null, size: null, truncated: true };
      }
    }
    const size = bytes.length;
    const budget = this.deadLetterBodyBytes;
    if (size <= budget) {
      if (!raw) return { body, size, truncated: false };
      try {
        return { body: decodeBody(bytes), size, truncated: false };
      } catch {
        return { body: bytes.slice(), size, truncated: false };
      }
    }
    // A copy: a view would keep the whole inbound batch alive.
    return { body: budget > 0 ? bytes.slice(0, budget) : null, size, truncated: true };
  }

  /** Bytes from the broker that cannot be delivered: a dead letter like any other. */
  deadLetterWire(
    to: string,
    from: string | null,
    type: string,
    body: Uint8Array,
    reason: string,
  ): void {
    this.deadLetter(to, new Letter(LetterKind.tell, type, body, from, null, 0, null, 0), reason);
  }

  /** Dead letters are logged, but at most 10 lines a second, then a count of the rest. */
  private logDeadLetter(to: string, letter: Letter, reason: string): void {
    const b = this.deadLetterLogBudget;
    const now = Date.now();
    if (now - b.windowStart >= 1000) {
      if (b.suppressed > 0)
        this.log.warn({ suppressed: b.suppressed }, 'more dead letters not logged');
      b.windowStart = now;
      b.used = 0;
      b.suppressed = 0;
    }
    if (b.used++ < 10) {
      this.log.warn(
        { to, from: letter.from, type: letter.type, reason, trace_id: traceIdOf(letter.trace) },
        'dead letter',
      );
    } else b.suppressed++;
  }
}
