import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type Alert,
  AlertEngine,
  DEFAULT_RULES,
  escapeMarkdownV2,
  escapeSlack,
  type Signal,
  signWebhook,
  telegramText,
  verifyWebhook,
} from '../../actors/alerts/index.ts';
import { parseMarkdownV2 } from '../support/telegram-bot-api.ts';

const sig = (kind: string, subject: string, at: number, extra: Partial<Signal> = {}): Signal => ({
  source: 'runtime',
  kind,
  system: 's',
  node: 'n',
  subject,
  reason: 'because',
  at,
  data: {},
  ...extra,
});

function engine(overrides = {}) {
  const out: Alert[] = [];
  const e = new AlertEngine(DEFAULT_RULES, AlertEngine.settingsFor(DEFAULT_RULES, overrides), (a) =>
    out.push(a),
  );
  return { e, out };
}

describe('MarkdownV2 and Slack escaping', () => {
  it('any text survives Telegram parsing intact', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => {
        const p = parseMarkdownV2(escapeMarkdownV2(s));
        expect(p).toEqual({ ok: true, plain: s });
      }),
      { numRuns: 500 },
    );
  });

  it('a whole alert message parses, whatever its subject and reason hold', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), fc.string({ maxLength: 300 }), (subject, text) => {
        const a: Alert = {
          id: '1',
          rule: 'crash',
          severity: 'error',
          state: 'firing',
          system: 'my_sys',
          node: 'n-1',
          subject,
          title: `crash: ${subject}`,
          text,
          count: 1,
          at: 0,
        };
        const p = parseMarkdownV2(telegramText(a));
        expect(p.ok).toBe(true);
        if (p.ok) expect(p.plain).toContain(text);
      }),
    );
  });

  it('Slack control characters are entities', () => {
    expect(escapeSlack('<@U1> & <!channel>')).toBe('&lt;@U1&gt; &amp; &lt;!channel&gt;');
  });
});

describe('webhook signatures', () => {
  it('verifies its own signature, refuses a changed body, a wrong key and a stale timestamp', () => {
    const now = Date.now();
    const ts = Math.floor(now / 1000);
    const body = '{"a":1}';
    const s = signWebhook('k'.repeat(16), ts, body);
    expect(verifyWebhook('k'.repeat(16), String(ts), s, body, 300, now)).toEqual({ ok: true });
    expect(verifyWebhook('k'.repeat(16), String(ts), s, '{"a":2}', 300, now)).toMatchObject({
      ok: false,
      reason: 'bad signature',
    });
    expect(verifyWebhook('x'.repeat(16), String(ts), s, body, 300, now)).toMatchObject({
      ok: false,
    });
    expect(verifyWebhook('k'.repeat(16), String(ts), s, body, 300, now + 301_000)).toMatchObject({
      ok: false,
      reason: 'timestamp outside the tolerance',
    });
    expect(verifyWebhook('k'.repeat(16), undefined, s, body)).toMatchObject({
      ok: false,
      reason: 'no timestamp',
    });
    expect(verifyWebhook('k'.repeat(16), String(ts), undefined, body, 300, now)).toMatchObject({
      ok: false,
      reason: 'no signature',
    });
  });
});

describe('the rules engine', () => {
  it('dedupes one subject, then summarises what the window held back', () => {
    const { e, out } = engine({ crash: { dedupeMs: 1000 } });
    for (let i = 0; i < 5; i++) e.signal(sig('crashed', 'a', 100 + i));
    expect(out.map((a) => a.state)).toEqual(['firing']);
    e.tick(900);
    expect(out).toHaveLength(1);
    e.tick(1200);
    expect(out[1]).toMatchObject({ state: 'summary', count: 4, rule: 'crash' });
    e.tick(5000);
    expect(out).toHaveLength(2);
  });

  it('a storm fires once at its threshold, and recovers once quiet', () => {
    const { e, out } = engine({
      'restart-storm': { stormCount: 3, stormWindowMs: 1000, quietMs: 500 },
      crash: { quietMs: 500 },
    });
    e.signal(sig('crashed', 'a', 0));
    for (let i = 1; i <= 6; i++) e.signal(sig('restarted', 'a', i * 10, { data: { restarts: i } }));
    expect(out.map((a) => a.rule)).toEqual(['crash', 'restart-storm']);
    e.tick(300);
    expect(out).toHaveLength(2);
    e.tick(1000);
    // One "running again" for the subject, from the storm rule that superseded the crash one.
    expect(out.slice(2).map((a) => [a.rule, a.state, a.text])).toEqual([
      ['restart-storm', 'resolved', 'a running again after 6 restarts'],
    ]);
  });

  it('budget failures are their own rule, not crashes', () => {
    const { e, out } = engine();
    e.signal(sig('crashed', 'agent', 0, { reason: 'budget: 10000 tokens spent' }));
    expect(out.map((a) => a.rule)).toEqual(['budget-exhausted']);
  });

  it('maps ledger, mesh and NATS signals to their rules; ignores what no rule knows', () => {
    const { e, out } = engine();
    e.signal(sig('fork', 'ledger', 0, { source: 'ledger' }));
    e.signal(sig('gap', 'ledger', 0, { source: 'ledger', data: { first: 5, last: 7 } }));
    e.signal(sig('start-unverifiable', 'ledger', 0, { source: 'ledger' }));
    e.signal(
      sig('witness-refused', 'ledger', 0, { source: 'ledger', data: { witness: 'w1', size: 9 } }),
    );
    e.signal(sig('mesh.peer_lost', 'siteB', 0, { source: 'mesh' }));
    e.signal(sig('slowConsumer', 'troupe.s.a.x', 0, { source: 'nats' }));
    e.signal(sig('messagesDropped', 'n', 0));
    e.signal(sig('started', 'x', 0));
    expect(out.map((a) => a.rule)).toEqual([
      'ledger-fork',
      'ledger-gap',
      'ledger-verification',
      'witness-disagreement',
      'mesh-peer-lost',
      'slow-consumer',
      'message-loss',
    ]);
    e.signal(sig('mesh.peer_connected', 'siteB', 3000, { source: 'mesh' }));
    expect(out.at(-1)).toMatchObject({
      rule: 'mesh-peer-lost',
      state: 'resolved',
      text: 'the link to site siteB is up again after 3 s',
    });
  });

  it('a disabled rule stays silent; an extra rule joins the table', () => {
    const rules = [
      ...DEFAULT_RULES,
      {
        name: 'deploys',
        defaults: { severity: 'info' as const },
        match: (s: Signal) =>
          s.kind === 'deployed' ? { title: 'deployed', text: s.subject } : null,
      },
    ];
    const out: Alert[] = [];
    const e = new AlertEngine(
      rules,
      AlertEngine.settingsFor(rules, { crash: { enabled: false } }),
      (a) => out.push(a),
    );
    e.signal(sig('crashed', 'a', 0));
    e.signal(sig('deployed', 'v2', 0));
    expect(out.map((a) => [a.rule, a.severity])).toEqual([['deploys', 'info']]);
  });
});
