import type { Leaf } from '../../../protocols/ledger/index.ts';

/** What to append: the store fills in prev_leaf_hash, the salt and the commitment. */
export type LedgerEntry =
  | {
      type: 'event';
      streamSeq: bigint;
      /** JetStream message timestamp in ns (goes in the leaf's aux field). */
      timestampNs: bigint;
      stream: string;
      subject: string;
      msgId: string;
      payload: Uint8Array;
      /** 32 random bytes by default; give one only for reproducible tests. */
      salt?: Uint8Array;
    }
  | {
      /** Stream sequences [first, last] that will never be recorded. */
      type: 'gap';
      first: bigint;
      last: bigint;
      stream: string;
    }
  | {
      /** Something about the ledger itself (key rotation, configuration). */
      type: 'control';
      topic: string;
      kind: bigint;
      stream: string;
      payload: Uint8Array;
      salt?: Uint8Array;
    };

export interface AppendResult {
  /** Index of the batch's first entry. */
  firstIndex: number;
  count: number;
  /** Tree size and root right after this batch. */
  size: number;
  root: Uint8Array;
}

/** A signed checkpoint the ledger produced or holds. */
export interface SignedCheckpoint {
  /** The C2SP signed note: checkpoint body, Ed25519 line, ML-DSA-44 line. */
  note: string;
  size: number;
  root: Uint8Array;
}

export type StoredPayload =
  | { status: 'present'; salt: Uint8Array; payload: Uint8Array }
  | { status: 'erased' }
  | { status: 'none' };

export interface StoredEntry {
  index: number;
  leaf: Leaf;
  leafBytes: Uint8Array;
  leafHash: Uint8Array;
  payload: StoredPayload;
}

export interface InclusionProof {
  index: number;
  size: number;
  leafHash: Uint8Array;
  proof: Uint8Array[];
  root: Uint8Array;
  /** The signed note for (size, root) when the proof is against a checkpoint. */
  checkpoint?: string;
}

export interface ConsistencyProof {
  oldSize: number;
  size: number;
  proof: Uint8Array[];
  root: Uint8Array;
  checkpoint?: string;
}

/** Durability steps of each write, in order; a test hook can crash the process at any of them. */
export type LedgerStep =
  | 'append:leaves-partial'
  | 'append:leaves-written'
  | 'append:payloads-written'
  | 'append:synced'
  | 'append:state-written'
  | 'append:state-renamed'
  | 'append:committed'
  | 'append:caches-written'
  | 'checkpoint:record-written'
  | 'checkpoint:state-renamed'
  | 'checkpoint:latest-written'
  | 'erase:intent-written'
  | 'erase:zeroed'
  | 'erase:done';

export const APPEND_STEPS: readonly LedgerStep[] = [
  'append:leaves-partial',
  'append:leaves-written',
  'append:payloads-written',
  'append:synced',
  'append:state-written',
  'append:state-renamed',
  'append:committed',
  'append:caches-written',
];
