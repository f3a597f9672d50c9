import { Cell } from '../cell.ts';
import { allowRestart } from './restart-intensity.ts';
import type { SupervisionHost, SupervisionMsg } from './supervision-host.ts';

/** Without a supervisor: restart a crashed child in place, at most 10 times in 10 s. */
const INTENSITY = 10;
const PERIOD_S = 10;

/**
 * What a plain actor (or the root) does when a child fails: restart it in place with its
 * mailbox; past the intensity, stop it and escalate to its own parent. A top-level actor
 * that gives up is a logged `gaveUp` event at the root.
 */
export async function defaultDirective(parent: Cell, m: SupervisionMsg): Promise<void> {
  if (m.t !== 'exit') return;
  const h: SupervisionHost = parent.host;
  const child = m.child;
  // Remote children only ever live under supervisors.
  if (!(child instanceof Cell)) return;
  const atRoot = parent === h.rootCell;
  if (m.phase === 'exit') {
    if (atRoot && m.reason === 'shutdown') {
      h.log.error({ actor: child.path }, 'top-level supervisor gave up');
    }
    return;
  }
  const x = child.extras();
  x.recentRestarts ??= [];
  if (!allowRestart(x.recentRestarts, Date.now(), INTENSITY, PERIOD_S)) {
    const reason = `restarted ${INTENSITY} times in ${PERIOD_S} s; last: ${m.reason}`;
    h.emit({ kind: 'gaveUp', path: child.path, reason, at: Date.now() });
    h.log.error(
      { actor: child.path, reason },
      atRoot ? 'top-level actor gave up' : 'actor gave up',
    );
    await child.stop(`gave up: ${m.reason}`);
    if (!atRoot) h.escalate(parent, `child ${child.path} gave up: ${m.reason}`);
    return;
  }
  await child.restartInPlace();
}
