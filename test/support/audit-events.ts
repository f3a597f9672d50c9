import type { AuditEvent } from '../../runtime/index.ts';

/**
 * A maker of audit events as an agent's tool calls on node n1, for tests that publish to the
 * audit stream by hand: ids `${prefix}-1`, `${prefix}-2`…, each with its number in `data.i`.
 */
export function auditEventMaker(prefix: string): (system: string) => AuditEvent {
  let seq = 0;
  return (system) => {
    seq++;
    return {
      id: `${prefix}-${seq}`,
      kind: 'tool.call',
      system,
      node: 'n1',
      actor: 'agent',
      at: Date.now(),
      trace: null,
      data: { i: seq },
    };
  };
}
