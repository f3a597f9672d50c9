import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeAuditBatch,
  ledgerEventSubject,
  proveConsistency,
  proveInclusion,
  readCheckpointNotes,
  readLedgerEntry,
  readWitnessed,
  readWitnessVkeys,
  type StoredEntry,
  verifyLedger,
} from '../../actors/ledger/index.ts';
import {
  openNote,
  parseCheckpoint,
  parseNote,
  verifierFromVkey,
} from '../../protocols/checkpoint/index.ts';
import { decodeBody } from '../../protocols/envelope/index.ts';
import { verifyConsistency, verifyInclusion } from '../../protocols/merkle/index.ts';
import { ActorSystem, type AuditEvent, InvalidArgument } from '../../runtime/index.ts';
import { clientConfig, type Overrides, systemOptions } from '../config.ts';
import { onStopSignal } from '../stop-signal.ts';

/**
 * `troupe ledger …`: check and prove a ledger directory offline, follow a running ledger, and a
 * demo that writes one through the real path (ledger-demo.ts). Human-readable by default, `--json`
 * for machines; a failure is one line on stderr and a non-zero exit (from the CLI's handler).
 */

export interface LedgerCliOptions extends Overrides {
  json?: boolean;
  /** Trusted log vkeys (out of band); default: the directory's own vkeys file. */
  vkeys?: string[];
  /** Print a checkpoint's signature lines too. */
  full?: boolean;
  /** Witness vkeys whose cosignature must be present (out of band). */
  witnessVkeys?: string[];
  count?: string;
}

/** A check that failed: the CLI prints the message as its one line and exits 1. */
export class LedgerCheckFailed extends Error {
  override readonly name = 'LedgerCheckFailed';
}

type Out = (line: string) => void;

const b64 = (h: Uint8Array) => Buffer.from(h).toString('base64');

function parseIndex(text: string, what: string, min: number): number {
  if (!/^(0|[1-9][0-9]{0,15})$/.test(text)) {
    throw new InvalidArgument(`${what} must be a whole number (got ${JSON.stringify(text)})`);
  }
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < min) throw new InvalidArgument(`${what} must be ≥ ${min}`);
  return n;
}

function needDir(dir: string): void {
  if (!existsSync(join(dir, 'LEDGER'))) {
    throw new InvalidArgument(`${dir} is not a ledger directory (no LEDGER file)`);
  }
}

function dirVkeys(dir: string): string[] {
  return readFileSync(join(dir, 'vkeys'), 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
}

/** Open a checkpoint note with the log's keys (both must have signed); its size and root. */
function openCheckpoint(
  note: string,
  vkeys: readonly string[],
): { size: number; root: Uint8Array } {
  const verifiers = vkeys.map((v) => verifierFromVkey(v));
  const opened = openNote(note, verifiers, { requireAll: true });
  const cp = parseCheckpoint(opened.text);
  return { size: Number(cp.size), root: cp.root };
}

/** `troupe ledger verify <dir>` */
export async function verify(dir: string, o: LedgerCliOptions, out: Out): Promise<number> {
  needDir(dir);
  const witnessed = readWitnessed(dir);
  const report = await verifyLedger(dir, {
    ...(o.vkeys && o.vkeys.length > 0 ? { vkeys: o.vkeys } : {}),
    ...(witnessed ? { knownCheckpoint: witnessed } : {}),
  });
  if (!report.ok) {
    const where =
      report.index === undefined
        ? report.file
        : `${report.file} ${report.file === 'checkpoints.log' ? 'record' : 'entry'} ${report.index}`;
    if (o.json)
      out(
        JSON.stringify({
          ok: false,
          file: report.file,
          index: report.index ?? null,
          reason: report.reason,
        }),
      );
    throw new LedgerCheckFailed(`ledger verify ${dir}: ${where}: ${report.reason}`);
  }
  // The witnessed checkpoint: every line must be a log key or a known witness key, and verify.
  let cosigned: { size: number; witnesses: string[] } | null = null;
  const wanted = o.witnessVkeys ?? [];
  if (witnessed !== undefined) {
    const logKeys = o.vkeys && o.vkeys.length > 0 ? o.vkeys : dirVkeys(dir);
    const witnessKeys = wanted.length > 0 ? wanted : readWitnessVkeys(dir);
    let names: string[];
    let size: number;
    try {
      const verifiers = [...logKeys, ...witnessKeys].map((v) => verifierFromVkey(v));
      const note = parseNote(witnessed);
      for (const s of note.signatures) {
        if (!verifiers.some((v) => v.name === s.name && v.keyId === s.keyId)) {
          throw new Error(`a signature line from an unknown key ${s.name}`);
        }
      }
      openNote(witnessed, verifiers);
      openCheckpoint(witnessed, logKeys);
      const wv = witnessKeys.map((v) => verifierFromVkey(v));
      if (wanted.length > 0) openNote(witnessed, wv, { requireAll: true });
      names = [
        ...new Set(
          note.signatures.filter((s) => wv.some((v) => v.name === s.name)).map((s) => s.name),
        ),
      ];
      size = Number(parseCheckpoint(note.text).size);
    } catch (err) {
      if (o.json)
        out(
          JSON.stringify({
            ok: false,
            file: 'witnessed',
            index: null,
            reason: (err as Error).message,
          }),
        );
      throw new LedgerCheckFailed(`ledger verify ${dir}: witnessed: ${(err as Error).message}`);
    }
    cosigned = { size, witnesses: names };
  } else if (wanted.length > 0) {
    if (o.json)
      out(JSON.stringify({ ok: false, file: 'witnessed', index: null, reason: 'missing' }));
    throw new LedgerCheckFailed(`ledger verify ${dir}: witnessed: no witness cosignature recorded`);
  }
  if (o.json) {
    out(
      JSON.stringify({
        ok: true,
        origin: report.origin,
        size: report.size,
        root: b64(report.root),
        lastStreamSeq: String(report.lastStreamSeq),
        checkpoints: report.checkpoints,
        signedSize: report.signedSize,
        erased: report.erased,
        cachesRebuilt: report.cachesRebuilt,
        writerLive: report.writerLive,
        cosigned,
      }),
    );
    return 0;
  }
  out(`ok: ${dir} (${report.origin})`);
  out(`  ${report.size} entries, root ${b64(report.root)}, stream cursor ${report.lastStreamSeq}`);
  out(
    `  ${report.checkpoints} checkpoints, the latest signs ${report.signedSize} entries (Ed25519 + ML-DSA-44)`,
  );
  if (cosigned) {
    out(
      `  cosigned at size ${cosigned.size} by ${cosigned.witnesses.join(', ') || '(no known witness)'}`,
    );
  }
  if (report.erased > 0) out(`  ${report.erased} payloads erased (leaves and proofs intact)`);
  if (report.cachesRebuilt) out('  derived files were stale and have been rebuilt');
  if (report.writerLive) out('  a writer has it open: its uncommitted tail was not examined');
  if (!o.vkeys?.length) {
    out("  keys: the directory's own vkeys (pass --vkey to check against keys you hold)");
  }
  return 0;
}

const MAX_LISTED = 10;

function describeEntry(e: StoredEntry): { lines: string[]; json: Record<string, unknown> } {
  const l = e.leaf;
  const lines: string[] = [];
  const json: Record<string, unknown> = {
    type: l.type,
    stream: l.stream,
    leafHash: b64(e.leafHash),
    payload: e.payload.status,
  };
  if (l.type === 'gap') {
    lines.push(`gap: stream ${l.stream} sequences ${l.streamSeq}..${l.aux} never arrived`);
    Object.assign(json, { first: String(l.streamSeq), last: String(l.aux) });
    return { lines, json };
  }
  if (l.type === 'control') {
    lines.push(`control: ${l.subject} (kind ${l.aux}) at stream cursor ${l.streamSeq}`);
    Object.assign(json, { topic: l.subject, kind: String(l.aux), cursor: String(l.streamSeq) });
    return { lines, json };
  }
  const at = new Date(Number(l.aux / 1_000_000n)).toISOString();
  lines.push(`event: stream ${l.stream} sequence ${l.streamSeq}, stored ${at}`);
  lines.push(`  subject ${l.subject}, msg id ${l.msgId || '(none)'}`);
  Object.assign(json, {
    seq: String(l.streamSeq),
    timestampNs: String(l.aux),
    subject: l.subject,
    msgId: l.msgId,
  });
  if (e.payload.status === 'erased') {
    lines.push('  payload erased (the leaf still commits to it)');
    return { lines, json };
  }
  if (e.payload.status !== 'present') return { lines, json };
  let events: AuditEvent[];
  try {
    events = decodeAuditBatch(e.payload.payload);
  } catch {
    lines.push(`  payload: ${e.payload.payload.length} bytes (not an audit batch)`);
    return { lines, json };
  }
  json.events = events;
  lines.push(`  ${events.length} audit event${events.length === 1 ? '' : 's'}:`);
  for (const ev of events.slice(0, MAX_LISTED)) {
    lines.push(`    ${new Date(ev.at).toISOString()} ${ev.actor} ${ev.kind} ${ev.id}`);
  }
  if (events.length > MAX_LISTED)
    lines.push(`    … and ${events.length - MAX_LISTED} more (--json lists all)`);
  return { lines, json };
}

/** `troupe ledger prove <dir> <index>` */
export async function prove(
  dir: string,
  indexText: string,
  o: LedgerCliOptions,
  out: Out,
): Promise<number> {
  const index = parseIndex(indexText, 'index', 0);
  needDir(dir);
  const p = proveInclusion(dir, index);
  if (!p.checkpoint) throw new LedgerCheckFailed(`ledger prove ${dir}: no checkpoint signed yet`);
  const keys = o.vkeys && o.vkeys.length > 0 ? o.vkeys : dirVkeys(dir);
  const entry = readLedgerEntry(dir, index);
  try {
    const cp = openCheckpoint(p.checkpoint, keys);
    if (cp.size !== p.size) throw new Error('proof and checkpoint sizes differ');
    if (!Buffer.from(entry.leafHash).equals(Buffer.from(p.leafHash))) {
      throw new Error('the stored entry is not the leaf the tree holds');
    }
    verifyInclusion(p.leafHash, index, cp.size, p.proof, cp.root);
  } catch (err) {
    throw new LedgerCheckFailed(`ledger prove ${dir} ${index}: ${(err as Error).message}`);
  }
  const d = describeEntry(entry);
  if (o.json) {
    out(
      JSON.stringify({
        index,
        size: p.size,
        leafHash: b64(p.leafHash),
        proof: p.proof.map(b64),
        root: b64(p.root),
        checkpoint: p.checkpoint,
        entry: d.json,
      }),
    );
    return 0;
  }
  out(`entry ${index} of the tree of ${p.size} (root ${b64(p.root)})`);
  for (const l of d.lines) out(`  ${l}`);
  out(`  leaf hash ${b64(p.leafHash)}`);
  out(`inclusion proof (${p.proof.length} hashes, RFC 9162):`);
  for (const h of p.proof) out(`  ${b64(h)}`);
  out('verified against the signed checkpoint:');
  // The note's body, then who signed it: the signature lines (kilobytes with ML-DSA) only on
  // --full; --json always carries the whole note.
  const note = parseNote(p.checkpoint);
  const shown = o.full ? p.checkpoint : note.text;
  for (const line of shown.trimEnd().split('\n')) out(`  ${line}`);
  if (!o.full) {
    const names = [...new Set(note.signatures.map((sig) => sig.name))].join(', ');
    out(`  signed by ${names} (--full prints the signature lines)`);
  }
  return 0;
}

/** `troupe ledger consistency <dir> <old-size>` */
export async function consistency(
  dir: string,
  oldText: string,
  o: LedgerCliOptions,
  out: Out,
): Promise<number> {
  needDir(dir);
  const oldSize = parseIndex(oldText, 'old size', 1);
  const p = proveConsistency(dir, oldSize);
  if (!p.checkpoint) {
    throw new LedgerCheckFailed(`ledger consistency ${dir}: no checkpoint signed yet`);
  }
  const keys = o.vkeys && o.vkeys.length > 0 ? o.vkeys : dirVkeys(dir);
  // Check it against an earlier checkpoint of that size when the log signed one.
  let against: string | undefined;
  try {
    openCheckpoint(p.checkpoint, keys);
    for (const note of readCheckpointNotes(dir)) {
      const cp = openCheckpoint(note, keys);
      if (cp.size === oldSize) {
        verifyConsistency(oldSize, p.size, p.proof, cp.root, p.root);
        against = b64(cp.root);
        break;
      }
    }
  } catch (err) {
    throw new LedgerCheckFailed(`ledger consistency ${dir} ${oldSize}: ${(err as Error).message}`);
  }
  if (o.json) {
    out(
      JSON.stringify({
        oldSize,
        size: p.size,
        proof: p.proof.map(b64),
        root: b64(p.root),
        checkpoint: p.checkpoint,
        verifiedAgainst: against ?? null,
      }),
    );
    return 0;
  }
  out(`consistency of the tree of ${oldSize} with the tree of ${p.size} (root ${b64(p.root)})`);
  out(`proof (${p.proof.length} hashes, RFC 9162):`);
  for (const h of p.proof) out(`  ${b64(h)}`);
  out(
    against
      ? `verified against the log's own checkpoint of size ${oldSize} (root ${against})`
      : `no checkpoint of size ${oldSize} in this log: check it against the root you hold for that size`,
  );
  out('the checkpoint it leads to:');
  for (const line of p.checkpoint.trimEnd().split('\n')) out(`  ${line}`);
  return 0;
}

function describeEvent(e: Record<string, unknown>): string {
  const at = typeof e.at === 'number' ? new Date(e.at).toISOString() : '';
  const head = `${at} ${String(e.ledger ?? '?')}`;
  switch (e.kind) {
    case 'checkpoint':
      return `${head} checkpoint size ${e.size} root ${e.root} (stream cursor ${e.cursor})`;
    case 'cosigned':
      return `${head} cosigned size ${e.size} by ${e.witness}`;
    case 'halted':
      return `${head} HALTED (${e.halt} at stream sequence ${e.seq}): ${e.reason}`;
    case 'alert': {
      const a = (e.alert ?? {}) as Record<string, unknown>;
      const rest = Object.entries(a)
        .filter(([k]) => k !== 'kind')
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      return `${head} ALERT ${String(a.kind)} ${rest}`;
    }
    default:
      return `${head} ${JSON.stringify(e)}`;
  }
}

/** `troupe ledger tail`: follow every ledger of a running system (checkpoints, cosignatures, alerts). */
export async function tail(o: LedgerCliOptions, out: Out): Promise<number> {
  const count = o.count === undefined ? undefined : parseIndex(o.count, '--count', 1);
  const cfg = await clientConfig(o);
  const sys = await ActorSystem.start({
    ...systemOptions({ ...cfg, logLevel: 'silent' }),
    node: `cli-tail-${process.pid}`,
    logLevel: 'silent',
  });
  const nc = sys.nats!;
  const subject = ledgerEventSubject(sys.name, '*');
  let seen = 0;
  try {
    await new Promise<void>((resolve) => {
      const sub = nc.subscribe(subject, {
        callback: (_err, msg) => {
          let e: Record<string, unknown>;
          try {
            e = decodeBody(msg.data) as Record<string, unknown>;
          } catch {
            return;
          }
          out(o.json ? JSON.stringify(e) : describeEvent(e));
          if (count !== undefined && ++seen >= count) {
            sub.unsubscribe();
            resolve();
          }
        },
      });
      onStopSignal(() => {
        sub.unsubscribe();
        resolve();
      });
      void nc.flush().then(() => {
        if (!o.json) out(`following ${subject} (Ctrl-C to stop)`);
      });
    });
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
  return 0;
}
