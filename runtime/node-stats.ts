/**
 * Plain counters of what this node dropped, refused or survived: every kind of loss has a
 * number (docs/operations.md says where each is reported). Read with `system.stats()`; an
 * exporter can poll it. Incremented in place: no allocation on any path.
 */
export interface NodeStats {
  /** Every message that went to dead letters, exact even when the recorder drops records. */
  deadLetters: number;
  /** Dead letters counted above whose record the recorder had no room for. */
  deadLettersUnrecorded: number;
  /** Exceptions caught in a broker callback (never passed on to nats.js). */
  callbackErrors: number;
  /** Broker messages that were not a valid envelope batch or control request. */
  malformedInbound: number;
  /** Tells whose body did not decode (dead-lettered with the reason). */
  undecodable: number;
  /** Messages dropped for exceeding the hop limit (routing loops). */
  hopLimitDrops: number;
  /** Envelopes on the wrong subject: a reply on an actor subject, an ask in an inbox, a target that is not the subject's. */
  misrouted: number;
  /** Replies refused: not the ask's reply schema, or a malformed error. */
  rejectedReplies: number;
  /** Control requests refused (system actors, malformed requests). */
  controlRefused: number;
  /** Control requests carried out (each also an audit event). */
  controlActions: number;
  /** Broker status reports: slow consumer, error, disconnect, stale connection. */
  slowConsumer: number;
  natsErrors: number;
  disconnects: number;
  /** Outgoing batches dropped because the hold buffer filled while NATS was unreachable. */
  heldDropped: number;
}

export function newNodeStats(): NodeStats {
  return {
    deadLetters: 0,
    deadLettersUnrecorded: 0,
    callbackErrors: 0,
    malformedInbound: 0,
    undecodable: 0,
    hopLimitDrops: 0,
    misrouted: 0,
    rejectedReplies: 0,
    controlRefused: 0,
    controlActions: 0,
    slowConsumer: 0,
    natsErrors: 0,
    disconnects: 0,
    heldDropped: 0,
  };
}

/**
 * At most `perSecond` log lines a second for one noisy source, then one line with the count
 * of the rest: a flood of bad input must not become a flood of log lines.
 */
export class LogBudget {
  private windowStart = 0;
  private used = 0;
  private suppressed = 0;
  constructor(private readonly perSecond = 10) {}

  /** True when this line may be logged; `flushed` gets the count suppressed in the last window. */
  take(flushed?: (suppressed: number) => void): boolean {
    const now = Date.now();
    if (now - this.windowStart >= 1000) {
      if (this.suppressed > 0) flushed?.(this.suppressed);
      this.windowStart = now;
      this.used = 0;
      this.suppressed = 0;
    }
    if (this.used++ < this.perSecond) return true;
    this.suppressed++;
    return false;
  }
}
