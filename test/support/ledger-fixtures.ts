import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach } from 'vitest';
import {
  type Ledger,
  type LedgerEntry,
  type LedgerKeys,
  ledgerKeysFromSeeds,
  type OpenLedgerOptions,
  openLedger,
  type VerifyReport,
  verifyLedger,
} from '../../actors/ledger/store/index.ts';

export const ORIGIN = 'audit.test.internal/ledger';
export const STREAM = 'TROUPE_AUDIT_test';

/** Deterministic keys, so tests never generate or write key files unless they mean to. */
export function testKeys(label = 'a', now?: () => number): LedgerKeys {
  const seed = (k: string) => createHash('sha256').update(`${label}/${k}`).digest();
  return ledgerKeysFromSeeds(ORIGIN, seed('ed25519'), seed('mldsa44'), now ? { now } : {});
}

/** A clock that moves 1.5 s on every read, so checkpoint() is never too soon. */
export function steppingClock(start = 1_750_000_000_000, step = 1500): () => number {
  let t = start;
  return () => {
    t += step;
    return t;
  };
}

export function tmpDir(prefix = 'troupe-ledger-'): { dir: string; cleanup: () => void } {
  const base = mkdtempSync(join(tmpdir(), prefix));
  return {
    dir: join(base, 'ledger'),
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** A fresh ledger directory per call, all removed after each test (afterEach). */
export function useTmpDirs(prefix?: string): () => string {
  const cleanups: Array<() => void> = [];
  afterEach(() => {
    while (cleanups.length) cleanups.pop()!();
  });
  return () => {
    const t = tmpDir(prefix);
    cleanups.push(t.cleanup);
    return t.dir;
  };
}

export function event(
  seq: number | bigint,
  over: Partial<Extract<LedgerEntry, { type: 'event' }>> = {},
): LedgerEntry {
  const s = BigInt(seq);
  return {
    type: 'event',
    streamSeq: s,
    timestampNs: 1_750_000_000_000_000_000n + s,
    stream: STREAM,
    subject: `troupe.test.audit.node1.agent${Number(s % 3n)}`,
    msgId: `msg-${s}`,
    payload: Buffer.from(JSON.stringify({ seq: Number(s), action: 'tool.call' })),
    ...over,
  };
}

export async function openTestLedger(
  dir: string,
  over: Partial<OpenLedgerOptions> = {},
): Promise<Ledger> {
  const now = over.now ?? steppingClock();
  return openLedger(dir, { origin: ORIGIN, keys: testKeys('a', now), now, workers: 1, ...over });
}

/** Seal the ledger (a last checkpoint, then close) and verify its directory with the test keys. */
export async function sealAndVerify(ledger: Ledger, dir: string): Promise<VerifyReport> {
  await ledger.checkpoint();
  await ledger.close();
  return verifyLedger(dir, { vkeys: testKeys().vkeys });
}

/** Every regular file under dir, relative paths, sorted. */
export function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out;
}

/** Files verify recomputes rather than trusts. */
export function isDerived(file: string): boolean {
  return file.startsWith('cache/') || file === 'checkpoint';
}

/** The stream records the crash tests deliver: sequences 11 to 15, deterministic. */
export function crashRecords(): Array<{
  seq: bigint;
  subject: string;
  msgId: string;
  payload: Uint8Array;
  timestampNs: bigint;
}> {
  return Array.from({ length: 5 }, (_, i) => {
    const seq = BigInt(11 + i);
    return {
      seq,
      subject: `troupe.test.audit.node1.agent${i}`,
      msgId: `crash-${seq}`,
      payload: Buffer.from(`{"crash":${seq}}`),
      timestampNs: 1_750_000_000_000_000_000n + seq,
    };
  });
}
