import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FAILED_SHOWN_MS, Fleet } from '../../dashboard/fleet.ts';
import type { TreeRow } from '../../index.ts';

const row = (path: string, messages: number, extra: Partial<TreeRow> = {}): TreeRow => ({
  path,
  type: path.split('/').pop()!,
  node: 'n1',
  status: 'running',
  restarts: 0,
  lastFailure: null,
  uptimeMs: 1000,
  supervisor: false,
  supervisedBy: null,
  mailboxDepth: 0,
  messages,
  ...extra,
});

describe('dashboard fleet model', () => {
  it('measures rates from two readings and drops actors that are gone', () => {
    const f = new Fleet('s', 60, 'mesh-bridge');
    const t0 = 1_000_000;
    f.rows([row('a', 10), row('b', 0)], t0);
    f.rows([row('a', 30)], t0 + 2000);
    const s = f.snapshot(t0 + 2000);
    expect(s.actors.map((a) => [a.path, a.rate])).toEqual([['a', 10]]);
    expect(s.series.at(-1)!.messages).toBe(10);
  });

  it('shows a crash red with its restart at once, then green again', () => {
    const f = new Fleet('s', 60, 'mesh-bridge');
    const t0 = 2_000_000;
    f.rows([row('w', 0)], t0);
    f.event('n1', 'crashed', { kind: 'crashed', path: 'w', reason: 'boom', at: t0 }, t0 + 10);
    f.event('n1', 'restarted', { kind: 'restarted', path: 'w', restarts: 1, at: t0 }, t0 + 20);
    let w = f.snapshot(t0 + 30).actors[0]!;
    expect([w.health, w.restarts, w.lastFailure, w.status]).toEqual([
      'failed',
      1,
      'boom',
      'running',
    ]);
    expect(f.snapshot(t0 + 30).series.at(-1)!.restarts).toBe(1);
    w = f.snapshot(t0 + 20 + FAILED_SHOWN_MS).actors[0]!;
    expect(w.health).toBe('ok');
  });

  it('keeps a crash reason from the event when older rows arrive after it', () => {
    const f = new Fleet('s', 60, 'mesh-bridge');
    const t0 = 3_000_000;
    f.rows([row('w', 0)], t0);
    f.event(
      'n1',
      'crashed',
      { kind: 'crashed', path: 'w', reason: 'disk on fire', at: t0 },
      t0 + 10,
    );
    // Rows collected before the crash, delivered after the event.
    f.rows([row('w', 0)], t0 + 20);
    let w = f.snapshot(t0 + 30).actors[0]!;
    expect([w.health, w.lastFailure]).toEqual(['failed', 'disk on fire']);
    // Newer rows with a newer reason win.
    f.rows([row('w', 0, { lastFailure: 'out of disk' })], t0 + 40);
    w = f.snapshot(t0 + 50).actors[0]!;
    expect(w.lastFailure).toBe('out of disk');
  });

  it('reads alerts in the agreed shape and the richer one, and skips what is not an alert', () => {
    const f = new Fleet('s', 60, 'mesh-bridge');
    f.event('n1', 'alert', {
      rule: 'crash',
      severity: 'error',
      actor: 'w',
      message: 'w crashed',
      at: 5,
    });
    f.event('n2', 'alert', {
      rule: 'storm',
      severity: 'critical',
      subject: 'x',
      text: 'x storm',
      at: 6,
    });
    f.event('n1', 'alert', { severity: 'error' });
    f.event('n1', 'alert', 'not an object');
    f.event('n1', 'crashed', { reason: 'no path' });
    f.event('n1', 'unknown-kind', { path: 'w' });
    expect(f.snapshot().alerts).toEqual([
      { rule: 'storm', severity: 'critical', actor: 'x', message: 'x storm', node: 'n2', at: 6 },
      { rule: 'crash', severity: 'error', actor: 'w', message: 'w crashed', node: 'n1', at: 5 },
    ]);
    expect(f.snapshot().events).toEqual([]);
  });

  it('keeps a ledger head: checkpoint, cosignature, alarm, halt', () => {
    const f = new Fleet('s', 60, 'mesh-bridge');
    const l = (e: Record<string, unknown>) =>
      f.event('n1', 'ledger', { ledger: 'ledger', origin: 'o', ...e });
    l({ kind: 'checkpoint', size: 4, root: 'r4', cursor: '9', at: 7 });
    l({ kind: 'cosigned', size: 4, witness: 'w1' });
    expect(f.snapshot().ledgers[0]).toMatchObject({
      origin: 'o',
      size: 4,
      root: 'r4',
      cosignedSize: 4,
      witnesses: ['w1'],
      verification: 'ok',
      checkpointAt: 7,
    });
    l({ kind: 'alert', alert: { kind: 'fork' } });
    expect(f.snapshot().ledgers[0]!.verification).toBe('alert: fork');
    l({ kind: 'checkpoint', size: 5, root: 'r5', cursor: '10', at: 8 });
    expect(f.snapshot().ledgers[0]!.verification).toBe('ok');
    l({ kind: 'halted', halt: 'rollback', seq: '3', reason: 'stream went back' });
    l({ kind: 'checkpoint', size: 6, root: 'r6', cursor: '11', at: 9 });
    expect(f.snapshot().ledgers[0]!.verification).toBe('halted: rollback (stream went back)');
  });

  it('keeps one point a second, at most the window, whatever the timing of polls and events', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 10, max: 120 }),
        fc.array(
          fc.record({
            gapMs: fc.integer({ min: 0, max: 200_000 }),
            what: fc.constantFrom('rows', 'crash', 'restart', 'snapshot'),
            messages: fc.nat(1000),
          }),
          { maxLength: 60 },
        ),
        (windowS, steps) => {
          const f = new Fleet('s', windowS, 'b');
          let now = 5_000_000;
          for (const st of steps) {
            now += st.gapMs;
            if (st.what === 'rows') f.rows([row('a', st.messages)], now);
            else if (st.what === 'crash') f.event('n1', 'crashed', { path: 'a', reason: 'x' }, now);
            else if (st.what === 'restart')
              f.event('n1', 'restarted', { path: 'a', restarts: 1 }, now);
            const s = f.snapshot(now);
            expect(s.series.length).toBeLessThanOrEqual(windowS);
            for (let i = 1; i < s.series.length; i++)
              expect(s.series[i]!.t).toBe(s.series[i - 1]!.t + 1);
            expect(s.series.at(-1)!.t).toBe(Math.floor(now / 1000));
            for (const p of s.series) expect(p.messages).toBeGreaterThanOrEqual(0);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
