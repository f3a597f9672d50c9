// The witness in its own process (troupe up deploy/services/witness-troupe.ts) over a real
// nats-server: it cosigns the ledger's normal growth, proven by consistency proofs, and refuses a
// forked checkpoint and a rollback shown to it, across its own restart.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openLedger,
  type SignedCheckpoint,
  type WitnessProtocol,
  type WitnessReply,
} from '../../actors/ledger/index.ts';
import { type ActorRef, ActorSystem } from '../../runtime/index.ts';
import {
  runTroupe,
  seededLedgerKeys,
  startWitnessedLedger,
  verifyWithWitnessKeys,
} from '../support/ledger-run.ts';
import { type NatsServer, startNatsServer, stopAllNatsServers } from '../support/nats-server.ts';
import { eventually, spawnTs, stopChild } from '../support/processes.ts';

const ORIGIN = 'audit.witness.test/ledger';
const WITNESS = 'witness.other-host.test/w1';
const keys = seededLedgerKeys(ORIGIN, 7);
const base = mkdtempSync(join(tmpdir(), 'troupe-witness-'));
let server: NatsServer;
let env: NodeJS.ProcessEnv;
let witnessProc: Awaited<ReturnType<typeof spawnTs>> | undefined;

async function startWitness(): Promise<string[]> {
  witnessProc = await spawnTs(
    'bin/troupe.js',
    ['up', 'deploy/services/witness-troupe.ts', '--nats', server.url, '--system', 'wit'],
    { env, ready: /serving/, readyTimeoutMs: 60_000 },
  );
  return [...witnessProc.output().matchAll(/^witness vkey (\S+)$/gm)].map((m) => m[1]!);
}

beforeAll(async () => {
  server = await startNatsServer();
  mkdirSync(join(base, 'log'), { recursive: true });
  writeFileSync(join(base, 'log', 'vkeys'), `${keys.vkeys.join('\n')}\n`);
  env = {
    TROUPE_NATS_USER: server.user,
    TROUPE_NATS_PASS: server.pass,
    TROUPE_LOG_LEVEL: 'silent',
    TROUPE_WITNESS_DIR: join(base, 'witness'),
    TROUPE_WITNESS_NAME: WITNESS,
    TROUPE_WITNESS_LOGS: join(base, 'log', 'vkeys'),
  };
}, 60_000);
afterAll(async () => {
  if (witnessProc) await stopChild(witnessProc);
  await stopAllNatsServers();
  rmSync(base, { recursive: true, force: true });
});

describe('witness in another process', () => {
  it('cosigns growth, refuses a fork and a rollback, and remembers across a restart', async () => {
    const vkeys = await startWitness();
    expect(vkeys).toHaveLength(2);
    const sys = await ActorSystem.start({
      name: 'wit',
      logLevel: 'silent',
      transport: server.transport,
    });
    const dir = join(base, 'ledger');
    const { ledger, agent } = await startWitnessedLedger(sys, { dir, origin: ORIGIN, keys });
    const witness: ActorRef<WitnessProtocol> = { system: 'wit', path: 'witness' };

    // Normal growth, twice: the second time the witness needs a consistency proof.
    const sizes: number[] = [];
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 3; i++) {
        sys.tell(agent, 'emit', { n: 4 });
        await new Promise((r) => setTimeout(r, 5));
      }
      const st = await ledger.settle({ checkpoint: true });
      await eventually(async () => {
        const now = await ledger.status();
        expect(now.cosignedSize).toBe(st.checkpoint!.size);
        expect(now.witnesses[0]!.lastError).toBeNull();
      }, 20_000);
      sizes.push(st.checkpoint!.size);
    }
    expect(sizes[1]).toBeGreaterThan(sizes[0]!);
    const first = await checkpointOf(dir, sizes[0]!);
    await ledger.close();

    // The ledger directory verifies with the witness's keys held out of band.
    const ok = await verifyWithWitnessKeys(dir, vkeys);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toContain(`cosigned at size ${sizes[1]} by ${WITNESS}`);

    // A fork: the same log keys sign another history that extends the cosigned size. The
    // witness gets a well-formed request (valid signatures, a proof from the size it cosigned).
    const forkDir = join(base, 'fork');
    const fork = await openLedger(forkDir, { origin: ORIGIN, keys });
    await fork.appendBatch(
      Array.from({ length: sizes[1]! + 3 }, (_, i) => ({
        type: 'event' as const,
        streamSeq: BigInt(i + 1),
        timestampNs: 1n,
        stream: 'TROUPE_AUDIT_wit',
        subject: 'troupe.wit.audit.n.forged',
        msgId: `forged-${i}`,
        payload: new Uint8Array([i]),
      })),
    );
    const forged = await fork.checkpoint();
    const proof = fork.proveConsistency(sizes[1]!, forged.size).proof;
    const ask = (body: { oldSize: string; proof: Uint8Array[]; checkpoint: string }) =>
      sys.ask(
        witness,
        'addCheckpoint',
        { ...body, proof: body.proof.map((p) => Buffer.from(p).toString('base64')) },
        { timeout: 10_000 },
      ) as Promise<WitnessReply>;
    expect(await ask({ oldSize: String(sizes[1]), proof, checkpoint: forged.note })).toMatchObject({
      ok: false,
      status: 422,
      error: 'WitnessForkError',
    });
    // The same size with another root: a fork too.
    const sameSize = await openLedger(join(base, 'fork2'), { origin: ORIGIN, keys });
    await sameSize.appendBatch(
      Array.from({ length: sizes[1]! }, (_, i) => ({
        type: 'event' as const,
        streamSeq: BigInt(i + 1),
        timestampNs: 2n,
        stream: 'TROUPE_AUDIT_wit',
        subject: 'troupe.wit.audit.n.other',
        msgId: '',
        payload: new Uint8Array([i]),
      })),
    );
    const other = await sameSize.checkpoint();
    expect(
      await ask({ oldSize: String(sizes[1]), proof: [], checkpoint: other.note }),
    ).toMatchObject({
      ok: false,
      status: 422,
    });
    // A rollback: the earlier, smaller checkpoint shown again.
    expect(
      await ask({ oldSize: String(sizes[1]), proof: [], checkpoint: first.note }),
    ).toMatchObject({
      ok: false,
      status: 409,
      error: 'WitnessRollbackError',
    });
    // A stale old size: 409 with the size it holds.
    expect(await ask({ oldSize: '1', proof: [], checkpoint: forged.note })).toMatchObject({
      ok: false,
      status: 409,
      error: 'WitnessConflictError',
      knownSize: String(sizes[1]),
    });

    // Its state is on disk: restarted, it still refuses the fork and knows the size.
    await stopChild(witnessProc!);
    await startWitness();
    await sys.flush();
    expect(await ask({ oldSize: String(sizes[1]), proof, checkpoint: forged.note })).toMatchObject({
      ok: false,
      status: 422,
    });
    const info = await sys.ask(witness, 'info', {}, { timeout: 10_000 });
    expect(info.logs).toEqual([
      expect.objectContaining({ origin: ORIGIN, size: String(sizes[1]) }),
    ]);
    await fork.close();
    await sameSize.close();
    await sys.shutdown();
  }, 120_000);

  it('refuses to start on bad settings, with one line naming the variable', async () => {
    const r = await runTroupe(
      [
        'up',
        'deploy/services/witness-troupe.ts',
        '--nats',
        server.url,
        '--system',
        'wit2',
        '--once',
      ],
      { ...env, TROUPE_WITNESS_LOGS: join(base, 'missing-vkeys') },
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^troupe: InvalidArgumentError: TROUPE_WITNESS_LOGS: cannot read /);
    const noDir = await runTroupe(
      [
        'up',
        'deploy/services/ledger-troupe.ts',
        '--nats',
        server.url,
        '--system',
        'wit2',
        '--once',
      ],
      { ...env, TROUPE_LEDGER_DIR: '' },
    );
    expect(noDir.code).toBe(1);
    expect(noDir.stderr).toMatch(/^troupe: InvalidArgumentError: TROUPE_LEDGER_DIR: /);
  });
});

/** The checkpoint of a given size from the ledger's log (opened read-write: the ledger is closed). */
async function checkpointOf(dir: string, size: number): Promise<SignedCheckpoint> {
  const { readCheckpointNotes } = await import('../../actors/ledger/index.ts');
  const { parseCheckpoint, parseNote } = await import('../../protocols/checkpoint/index.ts');
  for (const note of readCheckpointNotes(dir)) {
    const cp = parseCheckpoint(parseNote(note).text);
    if (Number(cp.size) === size) return { note, size, root: cp.root };
  }
  throw new Error(`no checkpoint of size ${size}`);
}
