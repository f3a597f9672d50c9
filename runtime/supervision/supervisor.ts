import { Cell } from '../cell.ts';
import { Letter, LetterKind } from '../letter.ts';
import { backoffDelay } from './backoff.ts';
import type { NormalizedChildSpec, NormalizedFlags } from './child-spec.ts';
import { allowRestart } from './restart-intensity.ts';
import { affected } from './strategy.ts';
import type { Child, SupervisionHost, SupervisionMsg } from './supervision-host.ts';
import { SYS_SUPERVISION } from './supervision-host.ts';

/** One child as its supervisor tracks it (OTP's child record). */
export interface ChildRecord {
  spec: NormalizedChildSpec;
  cell: Child | null;
  /** `terminated`: stopped with its spec kept (terminate_child, or a transient's normal exit). */
  status: 'running' | 'restarting' | 'terminated';
  restarts: number;
  /** Consecutive restarts without a stable run in between: drives the backoff. */
  consecutive: number;
  lastStart: number;
  lastFailure: string | null;
  timer: NodeJS.Timeout | null;
}

/** A supervisor's state: its flags, its children in start order, its restart history. */
export interface SupervisorState {
  readonly flags: NormalizedFlags;
  readonly children: ChildRecord[];
  readonly history: number[];
  /** simple_one_for_one: the one spec every dynamic child is made from. */
  readonly template: NormalizedChildSpec | null;
  nextId: number;
  givingUp: boolean;
}

export function newRecord(spec: NormalizedChildSpec): ChildRecord {
  return {
    spec,
    cell: null,
    status: 'terminated',
    restarts: 0,
    consecutive: 0,
    lastStart: 0,
    lastFailure: null,
    timer: null,
  };
}

/** Start failure of a child while its supervisor starts: the supervisor fails to start too. */
export class ChildStartFailed extends Error {
  override readonly name = 'ChildStartFailed';
  constructor(
    readonly id: string,
    reason: string,
  ) {
    super(`child ${id} failed to start: ${reason}`);
  }
}

function host(sup: Cell): SupervisionHost {
  return sup.host;
}

/** The running cell just before `rec` in start order, to keep the child list in start order. */
function previousLive(st: SupervisorState, rec: ChildRecord): Cell | null {
  let prev: Cell | null = null;
  for (const r of st.children) {
    if (r === rec) return prev;
    if (r.cell instanceof Cell && !r.cell.stopped) prev = r.cell;
  }
  return prev;
}

/** Spawn one child from its record and wait for its start hook (OTP starts synchronously). */
export async function startChild(sup: Cell, st: SupervisorState, rec: ChildRecord): Promise<void> {
  const cell = host(sup).spawnSupervised(sup, rec.spec, rec.restarts);
  if (cell instanceof Cell) sup.placeChild(cell, previousLive(st, rec));
  rec.cell = cell;
  rec.status = 'running';
  rec.lastStart = Date.now();
  await cell.whenStarted();
}

/** Start every child in order; on a failure, stop those started (reverse order) and fail. */
export async function startAll(sup: Cell, st: SupervisorState): Promise<void> {
  for (const rec of st.children) {
    try {
      await startChild(sup, st, rec);
    } catch (err) {
      rec.cell = null;
      rec.status = 'terminated';
      await stopRecords(st.children);
      throw new ChildStartFailed(rec.spec.id, err instanceof Error ? err.message : String(err));
    }
  }
}

/** Stop the given records' children, last started first, each with its own shutdown time. */
export async function stopRecords(records: readonly ChildRecord[]): Promise<void> {
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    if (r.timer) {
      clearTimeout(r.timer);
      r.timer = null;
    }
    const c = r.cell;
    r.cell = null;
    if (r.status !== 'terminated') r.status = 'terminated';
    if (c !== null && !c.stopped) await c.stop('shutdown');
  }
}

/** Handle one supervision message in the supervisor `sup`. */
export function superviseIn(
  sup: Cell,
  st: SupervisorState,
  m: SupervisionMsg,
): Promise<void> | undefined {
  if (m.t === 'exit') return onChildExit(sup, st, m);
  return restartIds(sup, st, m.ids);
}

async function onChildExit(
  sup: Cell,
  st: SupervisorState,
  m: Extract<SupervisionMsg, { t: 'exit' }>,
): Promise<void> {
  const idx = st.children.findIndex((r) => r.cell === m.child);
  if (idx < 0 || sup.stopped || st.givingUp) {
    // Not ours any more (stopped by a strategy, or we are going down): make sure it is gone.
    if (!m.child.stopped) await m.child.stop('shutdown');
    return;
  }
  const rec = st.children[idx]!;
  if (m.abnormal) rec.lastFailure = m.reason;
  const restart =
    rec.spec.restart === 'permanent' || (rec.spec.restart === 'transient' && m.abnormal);
  if (!restart) {
    if (!m.child.stopped) await m.child.stop(m.abnormal ? `crashed: ${m.reason}` : m.reason);
    rec.cell = null;
    rec.status = 'terminated';
    // OTP deletes temporary specs, and every simple_one_for_one child, once they are gone.
    if (rec.spec.restart === 'temporary' || st.flags.strategy === 'simple_one_for_one') {
      st.children.splice(st.children.indexOf(rec), 1);
    }
    return;
  }
  const now = Date.now();
  if (!allowRestart(st.history, now, st.flags.intensity, st.flags.period)) {
    giveUp(
      sup,
      st,
      `reached restart intensity ${st.flags.intensity} in ${st.flags.period} s; last: ${rec.spec.id}: ${m.reason}`,
    );
    return;
  }
  const touched = affected(st.flags.strategy, st.children.length, idx).map((i) => st.children[i]!);
  // Siblings go down first, last started first; temporary ones are not coming back.
  for (let i = touched.length - 1; i >= 0; i--) {
    const r = touched[i]!;
    if (r === rec) continue;
    if (r.timer) {
      clearTimeout(r.timer);
      r.timer = null;
    }
    const c = r.cell;
    r.cell = null;
    if (c !== null && !c.stopped) await c.stop('shutdown');
    if (r.spec.restart === 'temporary') {
      st.children.splice(st.children.indexOf(r), 1);
    }
  }
  const again = touched.filter((r) => st.children.includes(r));
  const b = st.flags.backoff;
  rec.consecutive = b !== null && now - rec.lastStart >= b.resetAfterMs ? 1 : rec.consecutive + 1;
  const delay = b === null ? 0 : backoffDelay(b, rec.consecutive);
  for (const r of again) r.status = 'restarting';
  if (delay > 0) {
    const ids = again.map((r) => r.spec.id);
    rec.timer = setTimeout(() => {
      rec.timer = null;
      sup.enqueueSystem(
        new Letter(
          LetterKind.system,
          SYS_SUPERVISION,
          { t: 'restart', ids } satisfies SupervisionMsg,
          null,
          null,
          0,
          null,
          0,
        ),
      );
    }, delay);
    return;
  }
  await restartRecords(sup, st, again);
}

async function restartIds(sup: Cell, st: SupervisorState, ids: readonly string[]): Promise<void> {
  if (sup.stopped || st.givingUp) return;
  const recs = st.children.filter((r) => ids.includes(r.spec.id) && r.status === 'restarting');
  await restartRecords(sup, st, recs);
}

/** Bring records back in start order: a crashed child in place (its mailbox kept), others fresh. */
async function restartRecords(
  sup: Cell,
  st: SupervisorState,
  recs: readonly ChildRecord[],
): Promise<void> {
  for (const r of recs) {
    if (sup.stopped || st.givingUp) return;
    r.restarts++;
    const c = r.cell;
    try {
      if (c?.suspended) {
        r.lastStart = Date.now();
        r.status = 'running';
        await c.restartInPlace();
        await c.whenStarted();
      } else {
        r.cell = null;
        await startChild(sup, st, r);
      }
    } catch {
      // The failed start reaches us as an exit message of its own; the rest wait for it.
      return;
    }
  }
}

/**
 * Too many restarts: stop every child (last started first) and exit with reason `shutdown`,
 * so the supervisor's own parent applies its rules (escalation).
 */
export function giveUp(sup: Cell, st: SupervisorState, reason: string): void {
  st.givingUp = true;
  const h = host(sup);
  h.log.error({ actor: sup.path, reason }, 'supervisor gave up');
  h.emit({ kind: 'gaveUp', path: sup.path, reason, at: Date.now() });
  void stopRecords(st.children).then(() =>
    sup.stop('shutdown').then(() => h.exited(sup, 'shutdown')),
  );
}

/** Stop and forget all children, e.g. when the supervisor itself stops or restarts. */
export function resetChildren(st: SupervisorState): void {
  for (const r of st.children) {
    if (r.timer) clearTimeout(r.timer);
    r.timer = null;
  }
}
