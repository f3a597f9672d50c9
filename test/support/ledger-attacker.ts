// What someone with write access to a ledger directory but without its signing keys can do:
// rewrite records, re-chain them and reseal every unsigned file so only signatures can tell.
// Tests play that attacker, so this reaches into the store's on-disk encoders on purpose.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { frameRecord, hashCheck } from '../../actors/ledger/store/frame.ts';
import { SequenceRules } from '../../actors/ledger/store/sequence-rules.ts';
import { decodeState, encodeState } from '../../actors/ledger/store/state-record.ts';
import { decodeLeaf, encodeLeaf, LeafTypeCode } from '../../protocols/ledger/index.ts';
import { appendLeaf, emptyRange, hashLeaf, rangeRootHash } from '../../protocols/merkle/index.ts';

/** A framed record: its body and the check value after it. */
export interface RawRecord {
  body: Uint8Array;
  check: number;
}

/** Every framed record in a log. */
export function readRecords(path: string): RawRecord[] {
  const buf = readFileSync(path);
  const out: RawRecord[] = [];
  for (let p = 0; p < buf.length; ) {
    const len = buf.readUInt32BE(p);
    out.push({
      body: new Uint8Array(buf.subarray(p + 4, p + 4 + len)),
      check: buf.readUInt32BE(p + 4 + len),
    });
    p += len + 8;
  }
  return out;
}

export function writeRecords(path: string, records: RawRecord[]): void {
  writeFileSync(path, Buffer.concat(records.map((r) => frameRecord(r.body, r.check))));
}

/** A leaf record with the check value the format wants (the leaf hash's first bytes). */
export function leafRecord(bytes: Uint8Array): RawRecord {
  return { body: bytes, check: hashCheck(hashLeaf(bytes)) };
}

/** Fix every prev_leaf_hash (and check value) to chain the leaves as they now stand. */
export function rechain(leaves: RawRecord[]): RawRecord[] {
  let prev: Uint8Array = new Uint8Array(32);
  return leaves.map((r) => {
    const out = encodeLeaf({ ...decodeLeaf(r.body), prevLeafHash: prev });
    prev = hashLeaf(out);
    return leafRecord(out);
  });
}

/** Rewrite the state record so it agrees with the logs as they now stand. */
export function resealState(dir: string): void {
  const leaves = readRecords(join(dir, 'leaves.log'));
  const old = decodeState(new Uint8Array(readFileSync(join(dir, 'state'))));
  const range = emptyRange();
  const rules = new SequenceRules();
  let last: Uint8Array = new Uint8Array(32);
  for (const { body: bytes } of leaves) {
    const leaf = decodeLeaf(bytes);
    const code = LeafTypeCode[leaf.type];
    // Best effort: an attacker reseals whatever cursor the leaves give.
    if (!rules.check(code, leaf.streamSeq, leaf.aux)) rules.apply(code, leaf.streamSeq, leaf.aux);
    last = hashLeaf(bytes);
    appendLeaf(range, last);
  }
  writeFileSync(
    join(dir, 'state'),
    encodeState({
      ...old,
      size: leaves.length,
      leavesBytes: readFileSync(join(dir, 'leaves.log')).length,
      payloadsBytes: readFileSync(join(dir, 'payloads.log')).length,
      checkpointsBytes: readFileSync(join(dir, 'checkpoints.log')).length,
      lastStreamSeq: rules.cursor,
      lastLeafHash: last,
      root: rangeRootHash(range),
      frontier: range.hashes,
    }),
  );
}
