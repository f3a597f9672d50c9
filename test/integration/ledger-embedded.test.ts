// The audit ledger on the embedded default (no broker): actors' audit events go through the
// batching sink into the local file stream, the ledger actor commits them, signs checkpoints, a
// witness cosigns; the CLI verifies the directory in another process.
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type AuditStream,
  LedgerActor,
  type LedgerAlert,
  type LedgerProtocol,
  openLocalStream,
  readWitnessVkeys,
  startAuditLedger,
  WitnessActor,
} from '../../actors/ledger/index.ts';
import { openNote, parseCheckpoint, verifierFromVkey } from '../../protocols/checkpoint/index.ts';
import { verifyConsistency, verifyInclusion } from '../../protocols/merkle/index.ts';
import { type ActorRef, ActorSystem, InvalidArgument, Rejected } from '../../runtime/index.ts';
import {
  b64,
  Emitter,
  entriesOf,
  eventIdsOf,
  runTroupe,
  seededLedgerKeys,
  startWitnessedLedger,
  useLedgerBase,
  verifyWithWitnessKeys,
} from '../support/ledger-run.ts';
import { eventually } from '../support/processes.ts';

const ORIGIN = 'audit.embedded.test/ledger';
const keys = seededLedgerKeys(ORIGIN, 3);
const base = useLedgerBase('troupe-ledger-emb-');

async function emit(sys: ActorSystem, ref: ActorRef, rounds: number, n: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    sys.tell(ref, 'emit', { n });
    await new Promise((r) => setImmediate(r));
  }
}

describe('audit ledger, embedded', () => {
  const dir = join(base, 'main');
  let witnessVkeys: string[] = [];

  it('records every audit event once, in order; signs, proves, and gets a witness cosignature', async () => {
    const sys = await ActorSystem.start({ name: 'emb', logLevel: 'silent' });
    const witness = sys.spawn(WitnessActor, {
      name: 'witness',
      args: {
        dir: join(base, 'witness'),
        name: 'witness.test/w1',
        logs: [{ origin: ORIGIN, vkeys: [...keys.vkeys] }],
      },
    });
    const { ledger, agent } = await startWitnessedLedger(sys, { dir, origin: ORIGIN, keys });
    const helper = sys.spawn(Emitter, { name: 'helper' });
    await emit(sys, agent, 5, 40);
    await emit(sys, helper, 2, 3);
    const st = await ledger.settle({ checkpoint: true });
    expect(st.halted).toBeNull();
    expect(st.checkpoint?.size).toBe(st.size);
    await eventually(async () => {
      expect((await ledger.status()).cosignedSize).toBe(st.size);
    }, 20_000);
    const entries = entriesOf(dir);
    const ids = eventIdsOf(entries);
    expect(ids).toHaveLength(206);
    expect(new Set(ids).size).toBe(206);
    const emitted = ledger.sink!.stats();
    expect(emitted).toMatchObject({ emitted: 206, stored: 206 });
    expect(entries.every((e) => e.leaf.type === 'event')).toBe(true);
    // One leaf per stream message, several events per message.
    expect(entries.length).toBeLessThan(20);

    const cp = st.checkpoint!;
    const p = await sys.ask(ledger.ref, 'prove', { index: 0 }, { timeout: 5000 });
    verifyInclusion(b64(p.leafHash), 0, p.size, p.proof.map(b64), b64(cp.root));
    expect(p.checkpoint).toBe(cp.note);
    if (st.size > 1) {
      const c = await sys.ask(ledger.ref, 'consistency', { oldSize: 1 }, { timeout: 5000 });
      verifyConsistency(1, c.size, c.proof.map(b64), entries[0]!.leafHash, b64(cp.root));
    }
    // Asks check their input at the edge.
    await expect(
      sys.ask(ledger.ref, 'prove', { index: -1 }, { timeout: 5000 }),
    ).rejects.toBeInstanceOf(Rejected);
    await expect(
      sys.ask(ledger.ref, 'prove', { index: 10_000 }, { timeout: 5000 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      sys.ask(ledger.ref, 'status', { extra: 1 } as never, { timeout: 5000 }),
    ).rejects.toBeInstanceOf(Rejected);
    await expect(
      sys.ask(
        witness,
        'addCheckpoint',
        { oldSize: '-1', proof: [], checkpoint: 'x' },
        { timeout: 5000 },
      ),
    ).rejects.toBeInstanceOf(Rejected);
    await ledger.close();
    await sys.shutdown();
    witnessVkeys = readWitnessVkeys(dir);
    expect(witnessVkeys).toHaveLength(2);
  });

  it('restarted, re-reads its last message as a duplicate and goes on from there', async () => {
    const sys = await ActorSystem.start({ name: 'emb', logLevel: 'silent' });
    const before = entriesOf(dir).length;
    const ledger = await startAuditLedger(sys, { dir, origin: ORIGIN, keys });
    await eventually(async () => {
      const st = await ledger.status();
      expect(st.counts.duplicates).toBe(1);
      expect(st.size).toBe(before);
    });
    const agent = sys.spawn(Emitter, { name: 'agent' });
    await emit(sys, agent, 1, 5);
    const st = await ledger.settle({ checkpoint: true });
    expect(st.size).toBe(before + 1);
    expect(st.counts.appended).toBe(1);
    await ledger.close();
    await sys.shutdown();
  });

  it('troupe ledger verify: exit 0 on the directory, 1 with the first bad entry after a byte flip', async () => {
    const ok = await verifyWithWitnessKeys(dir, witnessVkeys);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/^ok: /);
    expect(ok.stdout).toContain('by witness.test/w1');
    const json = await runTroupe([
      'ledger',
      'verify',
      dir,
      '--json',
      '--vkey',
      keys.vkeys[0]!,
      '--vkey',
      keys.vkeys[1]!,
    ]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      ok: true,
      origin: ORIGIN,
      cosigned: { witnesses: ['witness.test/w1'] },
    });

    const flipped = join(base, 'flipped');
    cpSync(dir, flipped, { recursive: true });
    const leaves = readFileSync(join(flipped, 'leaves.log'));
    leaves[leaves.length - 20] = leaves[leaves.length - 20]! ^ 0x01;
    writeFileSync(join(flipped, 'leaves.log'), leaves);
    const bad = await runTroupe(['ledger', 'verify', flipped]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe('');
    const lines = bad.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      new RegExp(`^troupe: ledger verify ${flipped}: leaves\\.log entry \\d+: `),
    );

    // The cosigned checkpoint is checked too: a flipped byte in a witness line fails.
    const w = join(base, 'flipped-witnessed');
    cpSync(dir, w, { recursive: true });
    const note = readFileSync(join(w, 'witnessed'), 'utf8');
    const at = note.lastIndexOf('\n— witness.test/w1 ') + 25;
    writeFileSync(
      join(w, 'witnessed'),
      note.slice(0, at) + (note[at] === 'A' ? 'B' : 'A') + note.slice(at + 1),
    );
    const wbad = await runTroupe(['ledger', 'verify', w]);
    expect(wbad.code).toBe(1);
    expect(wbad.stderr).toMatch(/^troupe: ledger verify .*: witnessed: /);
    expect(wbad.stderr.trimEnd().split('\n')).toHaveLength(1);
  });

  it('drops a full redelivery as duplicates; other content at a recorded sequence halts it (fork), reads go on', async () => {
    const sys = await ActorSystem.start({ name: 'emb', logLevel: 'silent' });
    const stream = await openLocalStream(join(dir, 'stream'), { name: 'TROUPE_AUDIT_emb' });
    const size = entriesOf(dir).length;
    const replay = (mutate: boolean): AuditStream => {
      let replayed = false;
      return {
        name: stream.name,
        lastSeq: () => stream.lastSeq(),
        get: (s) => stream.get(s),
        close: async () => {},
        async fetch(from, max, waitMs) {
          if (replayed) return stream.fetch(from, max, waitMs);
          replayed = true;
          // Everything again from sequence 1, as a consumer restarted at its ack floor would.
          const all = await stream.fetch(1n, 10_000, 0);
          if (mutate) all[2] = { ...all[2]!, payload: new Uint8Array([0x92, 0x01, 0x90]) };
          return all;
        },
      };
    };
    const alerts: LedgerAlert[] = [];
    const same = sys.spawn(LedgerActor, {
      name: 'replayed',
      args: { dir, origin: ORIGIN, keys, stream: replay(false), onAlert: (a) => alerts.push(a) },
    });
    await eventually(async () => {
      const st = await sys.ask(same, 'status', {}, { timeout: 5000 });
      expect(st.counts.duplicates).toBe(size + 1); // the start check, then every message again
      expect(st.size).toBe(size);
      expect(st.halted).toBeNull();
    });
    expect(alerts).toEqual([]);
    await sys.stop(same);

    const forked: ActorRef<LedgerProtocol> = sys.spawn(LedgerActor, {
      name: 'forked',
      args: { dir, origin: ORIGIN, keys, stream: replay(true), onAlert: (a) => alerts.push(a) },
    });
    await eventually(async () => {
      const st = await sys.ask(forked, 'status', {}, { timeout: 5000 });
      expect(st.halted).toMatchObject({ kind: 'fork', seq: '3' });
    });
    expect(alerts.map((a) => a.kind)).toEqual(['fork']);
    const st = await sys.ask(forked, 'status', {}, { timeout: 5000 });
    expect(st.size).toBe(size);
    // Reads and proofs go on while halted.
    const p = await sys.ask(forked, 'prove', { index: 0 }, { timeout: 5000 });
    expect(p.size).toBeGreaterThan(0);
    await sys.stop(forked);
    await stream.close();
    await sys.shutdown();
  });

  it('gives typed errors for bad options at every entry point', async () => {
    const sys = await ActorSystem.start({ name: 'emb', logLevel: 'silent' });
    const d = join(base, 'typed');
    await expect(startAuditLedger(sys, {} as never)).rejects.toBeInstanceOf(InvalidArgument);
    await expect(startAuditLedger(sys, { dir: d, origin: 'has space' })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(startAuditLedger(sys, { dir: d, stream: 'jetstream' })).rejects.toBeInstanceOf(
      InvalidArgument,
    );
    await expect(
      startAuditLedger(sys, { dir: d, checkpointIntervalMs: 10 }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    await expect(
      startAuditLedger(sys, { dir: d, sink: { maxBatchEvents: 0 } }),
    ).rejects.toBeInstanceOf(InvalidArgument);
    const stream = await openLocalStream(join(d, 'stream'), { name: 'TROUPE_AUDIT_emb' });
    const badArgs = [
      { dir: d, origin: ORIGIN }, // no stream
      { dir: d, origin: ORIGIN, stream, witnesses: ['a b'] },
      { dir: d, origin: ORIGIN, stream, fetchWaitMs: -1 },
      { dir: d, origin: ORIGIN, stream, checkpointIntervalMs: 999 },
      { dir: d, origin: ORIGIN, stream, onAlert: 'log' },
      { dir: '', origin: ORIGIN, stream },
      { dir: d, origin: ORIGIN, stream, surprise: true },
    ];
    for (const args of badArgs) {
      expect(
        () => sys.spawn(LedgerActor, { args: args as never }),
        JSON.stringify(Object.keys(args)),
      ).toThrow(InvalidArgument);
    }
    await stream.close();
    expect(() =>
      sys.spawn(WitnessActor, {
        args: { dir: d, name: 'w', logs: [{ origin: ORIGIN, vkeys: ['nope'] }] },
      }),
    ).toThrow(InvalidArgument);
    const { attachAuditSink, AuditLedgerStartError } = await import('../../actors/ledger/index.ts');
    await expect(attachAuditSink(sys)).rejects.toBeInstanceOf(InvalidArgument);
    // A ledger that cannot open says why, and leaves the system as it was.
    const sinkBefore = sys.auditLog;
    const one = await startAuditLedger(sys, {
      dir: join(base, 'twice'),
      origin: ORIGIN,
      keys,
      streamDir: join(base, 's1'),
    });
    const two = await startAuditLedger(sys, {
      dir: join(base, 'twice'),
      origin: ORIGIN,
      keys,
      name: 'second',
      streamDir: join(base, 's2'),
    }).catch((e: unknown) => e);
    expect(two).toBeInstanceOf(AuditLedgerStartError);
    expect((two as Error).message).toMatch(/already open for writing/);
    expect(sys.lookup('second')).toBeUndefined();
    await one.close();
    expect(sys.auditLog).toBe(sinkBefore);
    await sys.shutdown();
  });

  it('checks the note it stores against the witness keys', () => {
    const note = readFileSync(join(dir, 'witnessed'), 'utf8');
    const opened = openNote(
      note,
      witnessVkeys.map((v) => verifierFromVkey(v)),
      { requireAll: true },
    );
    expect(Number(parseCheckpoint(opened.text).size)).toBeGreaterThan(0);
  });
});
