import { randomBytes } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
import { z } from 'zod';
import type { CryptoBackend } from '../../../protocols/crypto/index.ts';
import { fromHex, toHex } from '../../../protocols/crypto/index.ts';
import {
  type Invite,
  InviteBook,
  type InviteRecord,
  type IssueOptions,
  type RedeemRequest,
} from '../../../protocols/mesh/index.ts';

const hex = (bytes: number) => z.string().regex(new RegExp(`^[0-9a-f]{${bytes * 2}}$`));

const FileSchema = z.object({
  version: z.literal(1),
  meshId: hex(16),
  invites: z.array(
    z.object({
      inviteId: hex(16),
      secret: hex(32),
      expiresAt: z.number().int().nonnegative(),
      maxUses: z.number().int().positive(),
      uses: z.number().int().nonnegative(),
      label: z.string().optional(),
    }),
  ),
});

/** Could not read or write the invite book file; `cause` is the fs or validation error. */
export class InviteStoreError extends Error {
  override readonly name = 'InviteStoreError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/**
 * An InviteBook persisted to one JSON file (mode 0600: it holds secrets), rewritten through a
 * temporary file and an atomic rename after every change. A redemption burns the invite in
 * memory synchronously first, so concurrent redemptions cannot both win; if the write then
 * fails the invite stays burned (fail closed) and the error says so.
 */
export class FileInviteBook {
  readonly #path: string;
  readonly #book: InviteBook;
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, book: InviteBook) {
    this.#path = path;
    this.#book = book;
  }

  /** Loads the book at `path`, or starts an empty one if the file does not exist. */
  static async open(
    path: string,
    options: { meshId: Uint8Array; inviterStatic: Uint8Array; backend?: CryptoBackend },
  ): Promise<FileInviteBook> {
    let records: InviteRecord[] = [];
    let text: string | null = null;
    try {
      text = await readFile(path, 'utf8');
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new InviteStoreError(`cannot read the invite book ${path}`, { cause });
      }
    }
    if (text !== null) {
      const parsed = FileSchema.safeParse(safeJson(text));
      if (!parsed.success) {
        throw new InviteStoreError(
          `the invite book ${path} is not valid (${parsed.error.issues[0]?.path.join('.') ?? 'json'}): ` +
            'restore it from a backup or move it away to start empty',
          { cause: parsed.error },
        );
      }
      if (parsed.data.meshId !== toHex(options.meshId)) {
        throw new InviteStoreError(`the invite book ${path} belongs to another mesh`);
      }
      records = parsed.data.invites.map((r) => ({
        inviteId: fromHex(r.inviteId),
        secret: fromHex(r.secret),
        expiresAt: r.expiresAt,
        maxUses: r.maxUses,
        uses: r.uses,
        ...(r.label === undefined ? {} : { label: r.label }),
      }));
    }
    return new FileInviteBook(path, new InviteBook({ ...options, records }));
  }

  async issue(
    options: IssueOptions,
  ): Promise<{ token: string; invite: Invite; record: InviteRecord }> {
    const issued = this.#book.issue(options);
    await this.#persist();
    return issued;
  }

  /** Burns the invite (atomically, in memory), then persists. Throws InviteRejectedError. */
  async redeem(request: RedeemRequest): Promise<InviteRecord> {
    const record = this.#book.redeem(request);
    await this.#persist();
    return record;
  }

  async revoke(inviteId: Uint8Array): Promise<boolean> {
    const removed = this.#book.revoke(inviteId);
    if (removed) await this.#persist();
    return removed;
  }

  async prune(now: number): Promise<number> {
    const n = this.#book.prune(now);
    if (n > 0) await this.#persist();
    return n;
  }

  records(): InviteRecord[] {
    return this.#book.records();
  }

  /** Writes are chained so they land in order; each writes the state as it is when it runs. */
  #persist(): Promise<void> {
    const next = this.#writing.then(() => this.#write());
    this.#writing = next.catch(() => {});
    return next;
  }

  async #write(): Promise<void> {
    const body = JSON.stringify({
      version: 1,
      meshId: toHex(this.#book.meshId),
      invites: this.#book.records().map((r) => ({
        inviteId: toHex(r.inviteId),
        secret: toHex(r.secret),
        expiresAt: r.expiresAt,
        maxUses: r.maxUses,
        uses: r.uses,
        ...(r.label === undefined ? {} : { label: r.label }),
      })),
    });
    const tmp = `${this.#path}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      const fh = await open(tmp, 'wx', 0o600);
      try {
        await fh.writeFile(body);
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(tmp, this.#path);
    } catch (cause) {
      await rm(tmp, { force: true }).catch(() => {});
      throw new InviteStoreError(
        `could not persist the invite book to ${this.#path}; any invite just redeemed stays burned`,
        { cause },
      );
    }
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
