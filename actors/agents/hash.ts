import { createHash } from 'node:crypto';

/**
 * SHA-256 of a value's JSON, hex: what the audit records instead of prompts and answers, so
 * the ledger proves what was asked and told without holding the text. The messages are built
 * by troupe in a fixed key order, so equal conversations hash equal.
 */
export function hashOf(value: unknown): string {
  return createHash('sha256')
    .update(JSON.stringify(value) ?? 'null')
    .digest('hex');
}
