import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actorSubject,
  actorSubtreeWildcard,
  alertEventSubject,
  anySpawnSubject,
  askBatchReplySubject,
  auditSubject,
  auditWildcard,
  buildSubject,
  controlSubject,
  controlWildcard,
  eventKindWildcard,
  eventSubject,
  eventWildcard,
  heartbeatSubject,
  heartbeatWildcard,
  InvalidSubjectError,
  inboxWildcard,
  ledgerEventSubject,
  logEventSubject,
  meshActorSubject,
  meshShardSubject,
  meshTailSubject,
  meshWildcard,
  nodeInbox,
  parseInboxSubject,
  parseSubject,
  repliesSubject,
  repliesSubjectOf,
  roomSubject,
  roomWildcard,
  SUBJECT_TABLE,
  type Subject,
  type SubjectKind,
  shardSubject,
  subjectMatches,
  subjectPrefix,
  treeSubject,
} from '../../protocols/subjects/index.ts';

const CHARS = 'abcXYZ019_-';
const token = fc.string({ unit: fc.constantFrom(...CHARS), minLength: 1, maxLength: 24 });
const longToken = fc.string({ unit: fc.constantFrom(...CHARS), minLength: 120, maxLength: 128 });
const anyToken = fc.oneof({ arbitrary: token, weight: 9 }, { arbitrary: longToken, weight: 1 });
const node = anyToken.filter((n) => n !== 'any' && n !== 'all');
const path = fc.array(anyToken, { minLength: 1, maxLength: 6 }).map((t) => t.join('/'));

/** A token broken in one of the ways NATS or troupe would misread. */
const badToken = fc.oneof(
  fc.constant(''),
  longToken.map((t) => `${t}${'x'.repeat(129 - t.length)}`),
  fc
    .tuple(token, fc.constantFrom('.', '*', '>', ' ', '\t', '\n', '/', ':', 'é', '\u0000'), token)
    .map(([a, bad, b]) => `${a}${bad}${b}`),
  fc.constantFrom('*', '>', '.'),
);

const subjects: fc.Arbitrary<Subject> = fc.oneof(
  fc.record({ kind: fc.constant('actor' as const), system: anyToken, path }),
  fc.record({ kind: fc.constant('shard' as const), system: anyToken, type: anyToken }),
  fc.record({ kind: fc.constant('meshActor' as const), system: anyToken, site: anyToken, path }),
  fc.record({
    kind: fc.constant('meshShard' as const),
    system: anyToken,
    site: anyToken,
    type: anyToken,
  }),
  fc.record({ kind: fc.constant('control' as const), system: anyToken, node, verb: anyToken }),
  fc.record({ kind: fc.constant('anySpawn' as const), system: anyToken, type: anyToken }),
  fc.record({ kind: fc.constant('tree' as const), system: anyToken }),
  fc.record({ kind: fc.constant('heartbeat' as const), system: anyToken, node: anyToken }),
  fc.record({
    kind: fc.constant('event' as const),
    system: anyToken,
    node: anyToken,
    event: anyToken,
  }),
  fc.record({ kind: fc.constant('audit' as const), system: anyToken, node: anyToken, path }),
  fc.record({ kind: fc.constant('room' as const), site: anyToken, room: anyToken }),
);

const ALL_KINDS: readonly SubjectKind[] = [
  'actor',
  'shard',
  'meshActor',
  'meshShard',
  'control',
  'anySpawn',
  'tree',
  'heartbeat',
  'event',
  'audit',
  'room',
];

/** Every builder with its arguments; `bad` replaces argument `i` with a broken token. */
const builders: readonly [string, (a: string[]) => string, number][] = [
  ['actorSubject', ([s, p]) => actorSubject(s!, p!), 2],
  ['shardSubject', ([s, t]) => shardSubject(s!, t!), 2],
  ['meshActorSubject', ([s, x, p]) => meshActorSubject(s!, x!, p!), 3],
  ['meshShardSubject', ([s, x, t]) => meshShardSubject(s!, x!, t!), 3],
  ['controlSubject', ([s, n, v]) => controlSubject(s!, n!, v!), 3],
  ['anySpawnSubject', ([s, t]) => anySpawnSubject(s!, t!), 2],
  ['treeSubject', ([s]) => treeSubject(s!), 1],
  ['heartbeatSubject', ([s, n]) => heartbeatSubject(s!, n!), 2],
  ['eventSubject', ([s, n, e]) => eventSubject(s!, n!, e!), 3],
  ['ledgerEventSubject', ([s, n]) => ledgerEventSubject(s!, n!), 2],
  ['logEventSubject', ([s, n]) => logEventSubject(s!, n!), 2],
  ['alertEventSubject', ([s, n]) => alertEventSubject(s!, n!), 2],
  ['auditSubject', ([s, n, p]) => auditSubject(s!, n!, p!), 3],
  ['roomSubject', ([s, r]) => roomSubject(s!, r!), 2],
  ['actorSubtreeWildcard', ([s, p]) => actorSubtreeWildcard(s!, p!), 2],
  ['controlWildcard', ([s, n]) => controlWildcard(s!, n!), 2],
  ['heartbeatWildcard', ([s]) => heartbeatWildcard(s!), 1],
  ['eventWildcard', ([s, n]) => eventWildcard(s!, n!), 2],
  ['eventKindWildcard', ([s, e]) => eventKindWildcard(s!, e!), 2],
  ['auditWildcard', ([s, n]) => auditWildcard(s!, n!), 2],
  ['roomWildcard', ([s]) => roomWildcard(s!), 1],
  ['nodeInbox', ([p, n]) => nodeInbox(p!, n!), 2],
];

describe('protocols/subjects: one module builds and parses every subject', () => {
  it('parse(build(x)) is x for every kind (property)', () => {
    const seen = new Set<SubjectKind>();
    fc.assert(
      fc.property(subjects, (s) => {
        seen.add(s.kind);
        const built = buildSubject(s);
        expect(parseSubject(built)).toEqual(s);
        // Tokens never contain a dot, so the token count is fixed by the kind and the path.
        expect(built.split('.').every((t) => /^[A-Za-z0-9_-]{1,128}$/.test(t))).toBe(true);
      }),
      { numRuns: 2000 },
    );
    expect([...seen].sort()).toEqual([...ALL_KINDS].sort());
  });

  it('the per-kind builders agree with buildSubject and with the documented shapes', () => {
    expect(actorSubject('dev', 'team/coder')).toBe('troupe.dev.a.team.coder');
    expect(shardSubject('dev', 'worker')).toBe('troupe.dev.t.worker');
    expect(meshActorSubject('dev', 'eu', 'team/coder')).toBe('troupe.dev.mesh.eu.a.team.coder');
    expect(meshShardSubject('dev', 'eu', 'worker')).toBe('troupe.dev.mesh.eu.t.worker');
    expect(controlSubject('dev', 'n1', 'spawn')).toBe('troupe.dev.ctl.n1.spawn');
    expect(anySpawnSubject('dev', 'worker')).toBe('troupe.dev.ctl.any.spawn.worker');
    expect(treeSubject('dev')).toBe('troupe.dev.ctl.all.tree');
    expect(heartbeatSubject('dev', 'n1')).toBe('troupe.dev.hb.n1');
    expect(eventSubject('dev', 'n1', 'started')).toBe('troupe.dev.evt.n1.started');
    expect(ledgerEventSubject('dev', 'n1')).toBe('troupe.dev.evt.n1.ledger');
    expect(logEventSubject('dev', 'n1')).toBe('troupe.dev.evt.n1.log');
    expect(alertEventSubject('dev', 'n1')).toBe('troupe.dev.evt.n1.alert');
    expect(auditSubject('dev', 'n1', 'team/coder')).toBe('troupe.dev.audit.n1.team.coder');
    expect(roomSubject('siteA', 'ops')).toBe('troupe.siteA.room.ops');
    expect(nodeInbox('_INBOX', 'n1')).toBe('_INBOX.n1');
    expect(nodeInbox('tenant._INBOX', 'n1')).toBe('tenant._INBOX.n1');
    expect(askBatchReplySubject('_INBOX.n1', 7)).toBe('_INBOX.n1.b7');
    expect(repliesSubject('_INBOX.n1')).toBe('_INBOX.n1.r');
  });

  it('every builder throws InvalidSubjectError naming the field for a broken token (property)', () => {
    const cases = fc.tuple(
      fc.constantFrom(...builders),
      fc.array(token, { minLength: 3, maxLength: 3 }),
      badToken,
      fc.nat(),
    );
    fc.assert(
      fc.property(cases, ([[name, build, arity], args, bad, at]) => {
        const i = at % arity;
        const a = [...args];
        // A `/` separates path segments: inside a path argument it is not a broken token.
        if (bad.includes('/') && /Subject|Wildcard/.test(name) && isPathArg(name, i)) return;
        // Dots separate the tokens of an inbox prefix.
        if (name === 'nodeInbox' && i === 0 && /^[^.]+(\.[^.]+)+$/.test(bad)) {
          if (bad.split('.').every((t) => /^[A-Za-z0-9_-]{1,128}$/.test(t))) return;
        }
        a[i] = bad;
        let thrown: unknown;
        try {
          build(a);
        } catch (e) {
          thrown = e;
        }
        expect(thrown, `${name}(${JSON.stringify(a)})`).toBeInstanceOf(InvalidSubjectError);
        expect((thrown as InvalidSubjectError).field.length).toBeGreaterThan(0);
        expect((thrown as InvalidSubjectError).message).toContain(JSON.stringify(bad));
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses non-strings, empty path segments, and the node names the control plane reserves', () => {
    expect(() => actorSubject('dev', '')).toThrow(InvalidSubjectError);
    expect(() => actorSubject('dev', 'team//coder')).toThrow(InvalidSubjectError);
    expect(() => actorSubject('dev', '/team')).toThrow(InvalidSubjectError);
    expect(() => actorSubject('dev', 7 as never)).toThrow(InvalidSubjectError);
    expect(() => shardSubject(undefined as never, 'x')).toThrow(/system/);
    // `ctl.all.tree` and `ctl.any.spawn.<type>` would read as another kind.
    expect(() => controlSubject('dev', 'all', 'tree')).toThrow(/reserves/);
    expect(() => controlSubject('dev', 'any', 'spawn')).toThrow(InvalidSubjectError);
    expect(() => askBatchReplySubject('_INBOX.n', -1)).toThrow(InvalidSubjectError);
    expect(() => askBatchReplySubject('_INBOX.n', 1.5)).toThrow(InvalidSubjectError);
    expect(() => nodeInbox('_INBOX.', 'n')).toThrow(InvalidSubjectError);
  });

  it('parses to null what troupe does not build, and never throws (property)', () => {
    for (const s of [
      'troupe.dev.a',
      'troupe.dev.t.a.b',
      'troupe.dev.ctl.any.stop',
      'troupe.dev.ctl.all.spawn',
      'troupe.dev.ctl.n1',
      'troupe.dev.hb.n1.x',
      'troupe.dev.evt.n1',
      'troupe.dev.audit.n1',
      'troupe.dev.mesh.eu.x.y',
      'troupe.dev.mesh.eu.t.a.b',
      'troupe.dev.room.a.b',
      'troupe.dev.a.*',
      'troupe.dev.audit.>',
      'troupe.dev..a.x',
      'other.dev.a.x',
      '_INBOX.n1.r',
      '',
    ]) {
      expect(parseSubject(s), s).toBeNull();
    }
    expect(parseSubject(7 as never)).toBeNull();
    fc.assert(
      fc.property(fc.array(fc.oneof(token, badToken), { maxLength: 8 }), (parts) => {
        const s = ['troupe', ...parts].join('.');
        const p = parseSubject(s);
        // Whatever parses must build back to the same subject.
        if (p !== null) expect(buildSubject(p)).toBe(s);
      }),
      { numRuns: 2000 },
    );
  });

  it('each wildcard covers the subjects of its kind and no other system’s (property)', () => {
    const two = fc.tuple(anyToken, anyToken).filter(([a, b]) => a !== b);
    fc.assert(
      fc.property(two, node, path, anyToken, ([sys, other], n, p, t) => {
        const m = (f: string, s: string) => subjectMatches(f, s);
        expect(m(actorSubtreeWildcard(sys, p), actorSubject(sys, `${p}/${t}`))).toBe(true);
        expect(m(actorSubtreeWildcard(sys, p), actorSubject(sys, p))).toBe(false);
        expect(m(meshWildcard(sys), meshActorSubject(sys, other, p))).toBe(true);
        expect(m(meshWildcard(sys), meshShardSubject(sys, other, t))).toBe(true);
        expect(m(meshWildcard(sys, other), meshActorSubject(sys, other, p))).toBe(true);
        expect(m(meshWildcard(sys, '*'), meshShardSubject(sys, other, t))).toBe(true);
        expect(m(meshWildcard(sys, other), meshActorSubject(sys, sys, p))).toBe(false);
        expect(m(meshWildcard(other), meshActorSubject(sys, other, p))).toBe(false);
        expect(m(controlWildcard(sys, n), controlSubject(sys, n, t))).toBe(true);
        expect(m(controlWildcard(sys, n), treeSubject(sys))).toBe(n === 'all');
        expect(m(heartbeatWildcard(sys), heartbeatSubject(sys, n))).toBe(true);
        expect(m(heartbeatWildcard(other), heartbeatSubject(sys, n))).toBe(false);
        expect(m(eventWildcard(sys), eventSubject(sys, n, t))).toBe(true);
        expect(m(eventWildcard(sys, n), eventSubject(sys, n, t))).toBe(true);
        expect(m(eventKindWildcard(sys, 'ledger'), ledgerEventSubject(sys, n))).toBe(true);
        expect(m(eventKindWildcard(sys, 'ledger'), logEventSubject(sys, n))).toBe(false);
        expect(m(auditWildcard(sys), auditSubject(sys, n, p))).toBe(true);
        expect(m(auditWildcard(sys, n), auditSubject(sys, n, p))).toBe(true);
        expect(m(auditWildcard(other), auditSubject(sys, n, p))).toBe(false);
        expect(m(auditWildcard(sys), actorSubject(sys, p))).toBe(false);
        expect(m(roomWildcard(sys), roomSubject(sys, t))).toBe(true);
        expect(
          m(inboxWildcard(nodeInbox('_INBOX', n)), askBatchReplySubject(`_INBOX.${n}`, 3)),
        ).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each([
    ['a.*.c', 'a.b.c', true],
    ['a.*.c', 'a.b.x.c', false],
    ['a.>', 'a', false],
    ['a.>', 'a.b.c', true],
    ['a.b', 'a.b.c', false],
    ['a.b.c', 'a.b', false],
  ])(
    'subjectMatches follows NATS (`*` one token, `>` one or more): %s ~ %s is %s',
    (filter, subject, want) => {
      expect(subjectMatches(filter, subject)).toBe(want);
    },
  );

  it('inbox subjects: a batch’s reply subject leads to its replies subject (property)', () => {
    fc.assert(
      fc.property(
        fc.array(token, { minLength: 1, maxLength: 3 }),
        node,
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        (prefix, n, seq) => {
          const inbox = nodeInbox(prefix.join('.'), n);
          const batch = askBatchReplySubject(inbox, seq);
          expect(parseInboxSubject(inbox, batch)).toEqual({ kind: 'askBatch', seq });
          expect(parseInboxSubject(inbox, repliesSubject(inbox))).toEqual({ kind: 'replies' });
          expect(repliesSubjectOf(batch)).toBe(repliesSubject(inbox));
          expect(parseInboxSubject(inbox, `${inbox}x.r`)).toBeNull();
          expect(parseInboxSubject(inbox, `${inbox}.bx`)).toBeNull();
          expect(parseInboxSubject(inbox, `${inbox}.b01`)).toBeNull();
          expect(parseInboxSubject(inbox, inbox)).toBeNull();
        },
      ),
    );
  });

  it('a mesh subject’s tail becomes the same target on the receiving site (property)', () => {
    fc.assert(
      fc.property(anyToken, anyToken, anyToken, path, anyToken, (local, site, remote, p, t) => {
        const prefix = `${subjectPrefix('mesh', local)}${site}.`;
        const a = meshActorSubject(local, site, p).slice(prefix.length);
        const s = meshShardSubject(local, site, t).slice(prefix.length);
        expect(meshTailSubject(remote, a)).toBe(actorSubject(remote, p));
        expect(meshTailSubject(remote, s)).toBe(shardSubject(remote, t));
      }),
    );
    for (const bad of ['', 'a', 'a.', 't.x.y', 'x.y', 'a.b..c', 'a.*', 't.>', 'ctl.n.stop']) {
      expect(() => meshTailSubject('dev', bad), bad).toThrow(InvalidSubjectError);
    }
    expect(subjectPrefix('actor', 'dev')).toBe('troupe.dev.a.');
    expect(subjectPrefix('shard', 'dev')).toBe('troupe.dev.t.');
    expect(subjectPrefix('event', 'dev')).toBe('troupe.dev.evt.');
    expect(() => subjectPrefix('nope' as never, 'dev')).toThrow(InvalidSubjectError);
  });

  it('the subject table has one row per kind, each pattern in its kind’s shape', () => {
    const kinds = SUBJECT_TABLE.map((r) => r.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const k of ALL_KINDS) expect(kinds).toContain(k);
    for (const r of SUBJECT_TABLE) {
      expect(r.pattern.length).toBeGreaterThan(0);
      expect(r.publishers.length).toBeGreaterThan(0);
      expect(r.subscribers.length).toBeGreaterThan(0);
      expect(r.description.length).toBeGreaterThan(0);
    }
    const row = (k: string) => SUBJECT_TABLE.find((r) => r.kind === k)!.pattern;
    expect(row('actor')).toBe('troupe.<sys>.a.<path…>');
    expect(row('room')).toBe('troupe.<site>.room.<room>');
    expect(row('replies')).toBe('<prefix>.<node>.r');
  });
});

/** Which argument of a builder is an actor path (where `/` is a separator, not a bad token). */
function isPathArg(name: string, i: number): boolean {
  if (name === 'actorSubject' || name === 'actorSubtreeWildcard') return i === 1;
  if (name === 'meshActorSubject' || name === 'auditSubject') return i === 2;
  return false;
}
