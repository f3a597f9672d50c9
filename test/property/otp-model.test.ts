// The reference model on hand-worked cases, each one documented OTP rule, so that the model is
// checked against the documentation as well as against the runtime.
import { describe, expect, it } from 'vitest';
import {
  type ChildSpec,
  OtpModel,
  type RestartType,
  type Strategy,
  type SupervisorSpec,
} from './otp-model.ts';

const w = (id: string, restart: RestartType = 'permanent'): ChildSpec => ({
  kind: 'worker',
  id,
  restart,
});
const sup = (
  id: string,
  strategy: Strategy,
  intensity: number,
  children: ChildSpec[],
  restart: RestartType = 'permanent',
): SupervisorSpec => ({
  kind: 'supervisor',
  id,
  restart,
  strategy,
  intensity,
  period: 5,
  children,
});

describe('OTP reference model', () => {
  it('starts children in order, depth first', () => {
    const m = new OtpModel(
      sup('top', 'one_for_one', 1, [w('a'), sup('s', 'one_for_one', 1, [w('x')]), w('b')]),
    );
    expect(m.initialStarts()).toEqual(['top', 'top/a', 'top/s', 'top/s/x', 'top/b']);
  });

  it('one_for_one restarts only the child that ended', () => {
    const m = new OtpModel(sup('top', 'one_for_one', 1, [w('a'), w('b')]));
    const e = m.apply({ kind: 'crash', path: 'top/b' });
    expect(e.terminated).toEqual(['top/b']);
    expect(e.started).toEqual(['top/b']);
  });

  it('one_for_all: others terminated last first, all restarted in order, temporary never', () => {
    const m = new OtpModel(
      sup('top', 'one_for_all', 1, [w('a'), w('b', 'temporary'), w('c', 'transient'), w('d')]),
    );
    const e = m.apply({ kind: 'crash', path: 'top/c' });
    expect(e.terminated).toEqual(['top/c', 'top/d', 'top/b', 'top/a']);
    expect(e.started).toEqual(['top/a', 'top/c', 'top/d']);
    expect(e.removed).toEqual(['top/b']);
    expect(m.children('top').map((c) => c.id)).toEqual(['a', 'c', 'd']);
  });

  it('rest_for_one: the rest terminated last first, then restarted with the failed one', () => {
    const m = new OtpModel(sup('top', 'rest_for_one', 1, [w('a'), w('b'), w('c'), w('d')]));
    const e = m.apply({ kind: 'crash', path: 'top/b' });
    expect(e.terminated).toEqual(['top/b', 'top/d', 'top/c']);
    expect(e.started).toEqual(['top/b', 'top/c', 'top/d']);
  });

  it('a child that should not be restarted leaves its siblings alone', () => {
    const m = new OtpModel(
      sup('top', 'one_for_all', 0, [w('a', 'transient'), w('b', 'temporary'), w('c')]),
    );
    let e = m.apply({ kind: 'exit', path: 'top/a' });
    expect([e.terminated, e.started, e.notRestarted]).toEqual([['top/a'], [], ['top/a']]);
    expect(m.children('top')).toEqual([
      { id: 'a', status: 'terminated' },
      { id: 'b', status: 'running' },
      { id: 'c', status: 'running' },
    ]);
    e = m.apply({ kind: 'crash', path: 'top/b' });
    expect([e.terminated, e.started, e.removed]).toEqual([['top/b'], [], ['top/b']]);
    expect(m.running()).toEqual(new Set(['top', 'top/c']));
  });

  it('a permanent child is restarted after a normal exit too', () => {
    const m = new OtpModel(sup('top', 'one_for_one', 1, [w('a')]));
    expect(m.apply({ kind: 'exit', path: 'top/a' }).started).toEqual(['top/a']);
  });

  it('more than MaxR restarts: terminate all children, then itself, reason shutdown', () => {
    const m = new OtpModel(sup('top', 'one_for_one', 1, [w('a'), w('b'), w('c')]));
    expect(m.apply({ kind: 'crash', path: 'top/b' }).gaveUp).toEqual([]);
    const e = m.apply({ kind: 'crash', path: 'top/a' });
    expect(e.gaveUp).toEqual(['top']);
    expect(e.gaveUpReason).toEqual({ top: 'shutdown' });
    expect(e.terminated).toEqual(['top/a', 'top/c', 'top/b', 'top']);
    expect(m.running().size).toBe(0);
  });

  it('intensity 0: the first restart is already one too many', () => {
    const m = new OtpModel(sup('top', 'one_for_one', 0, [w('a')]));
    expect(m.apply({ kind: 'crash', path: 'top/a' }).gaveUp).toEqual(['top']);
  });

  it('restarts older than MaxT seconds do not count', () => {
    const m = new OtpModel(sup('top', 'one_for_one', 1, [w('a')]));
    m.apply({ kind: 'crash', path: 'top/a' });
    m.advance(5);
    expect(m.apply({ kind: 'crash', path: 'top/a' }).gaveUp).toEqual([]);
    m.advance(4);
    expect(m.apply({ kind: 'crash', path: 'top/a' }).gaveUp).toEqual(['top']);
  });

  it('escalation: a permanent supervisor that gave up is restarted fresh by its parent', () => {
    const m = new OtpModel(
      sup('top', 'one_for_one', 1, [sup('s', 'one_for_one', 0, [w('x'), w('y', 'temporary')])]),
    );
    m.apply({ kind: 'crash', path: 'top/s/y' }); // temporary: gone, no restart counted
    const e = m.apply({ kind: 'crash', path: 'top/s/x' });
    expect(e.gaveUp).toEqual(['top/s']);
    expect(e.terminated).toEqual(['top/s/x', 'top/s']);
    // Fresh: the deleted temporary spec is back ("lost if the supervisor itself restarts").
    expect(e.started).toEqual(['top/s', 'top/s/x', 'top/s/y']);
  });

  it('escalation counts against the parent, which may give up in turn', () => {
    const m = new OtpModel(
      sup('top', 'one_for_all', 0, [w('a'), sup('s', 'one_for_one', 0, [w('x')])]),
    );
    const e = m.apply({ kind: 'crash', path: 'top/s/x' });
    expect(e.gaveUp).toEqual(['top/s', 'top']);
    expect(e.terminated).toEqual(['top/s/x', 'top/s', 'top/a', 'top']);
  });

  it('a transient supervisor that gave up exited with shutdown and is not restarted', () => {
    const m = new OtpModel(
      sup('top', 'one_for_all', 3, [w('a'), sup('s', 'one_for_one', 0, [w('x')], 'transient')]),
    );
    const e = m.apply({ kind: 'crash', path: 'top/s/x' });
    expect(e.gaveUp).toEqual(['top/s']);
    expect(e.started).toEqual([]);
    expect(e.notRestarted).toEqual(['top/s']);
    expect(m.children('top')).toEqual([
      { id: 'a', status: 'running' },
      { id: 's', status: 'terminated' },
    ]);
  });

  it('simple_one_for_one: dynamic children, shut down in no defined order, lost on restart', () => {
    const pool = sup('p', 'simple_one_for_one', 5, [w('job', 'transient')]);
    const m = new OtpModel(sup('top', 'one_for_all', 1, [pool, w('b')]));
    m.addDynamicChild('top/p', 'job-1');
    m.addDynamicChild('top/p', 'job-2');
    m.addDynamicChild('top/p', 'job-3');
    let e = m.apply({ kind: 'exit', path: 'top/p/job-3' });
    expect(e.removed).toEqual(['top/p/job-3']);
    e = m.apply({ kind: 'crash', path: 'top/p/job-2' });
    expect(e.started).toEqual(['top/p/job-2']);
    e = m.apply({ kind: 'crash', path: 'top/b' });
    expect(e.terminated).toEqual(['top/b', ['top/p/job-1', 'top/p/job-2'], 'top/p']);
    expect(e.started).toEqual(['top/p', 'top/b']);
    expect(m.children('top/p')).toEqual([]);
  });
});
