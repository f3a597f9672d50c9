import { randomBytes } from 'node:crypto';
import {
  mkdirSync,
  readFileSync,
  statSync,
  unlinkSync,
  unwatchFile,
  watchFile,
  writeFileSync,
} from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { InvalidArgument } from '../../runtime/index.ts';
import { processAlive } from '../ledger/store/lock.ts';
import { type Board, BoardError } from './board.ts';
import { type BoardImage, type ImageStore, LocalBoard } from './local-board.ts';

const ImageSchema = z.object({
  revision: z.number().int().nonnegative(),
  entries: z.record(
    z.string(),
    z.object({ value: z.unknown(), revision: z.number().int().positive() }),
  ),
});

const LOCK_WAIT_MS = 10_000;

/**
 * The image lives in `<dir>/board.json`, written whole (temp file, fsync, rename) while holding
 * `<dir>/board.lock`, so several processes (a team and the `troupe approve` CLI) can share one
 * board and CAS stays exact across them. A lock left by a killed process is taken over.
 */
class FileImages implements ImageStore {
  readonly where: string;
  private readonly file: string;
  private readonly lock: string;
  private seen = -1;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(dir: string) {
    this.where = `file:${dir}`;
    this.file = join(dir, 'board.json');
    this.lock = join(dir, 'board.lock');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  private read(): BoardImage {
    let text: string;
    try {
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        return { revision: 0, entries: Object.create(null) };
      }
      throw new BoardError(`cannot read ${this.file}`, { cause: err });
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new BoardError(`${this.file} is not JSON`, { cause });
    }
    const r = ImageSchema.safeParse(parsed);
    if (!r.success) throw new BoardError(`${this.file} is not a board image: ${r.error.message}`);
    return r.data as BoardImage;
  }

  async load(): Promise<BoardImage | null> {
    let mtime: number;
    try {
      const st = statSync(this.file);
      mtime = st.mtimeMs * 1000 + st.size + st.ino;
    } catch {
      mtime = 0;
    }
    // Unchanged since the last read: keep the image in memory.
    if (mtime === this.seen && mtime !== 0) return null;
    const img = this.read();
    this.seen = mtime;
    return img;
  }

  private async acquire(): Promise<void> {
    const until = Date.now() + LOCK_WAIT_MS;
    for (let wait = 1; ; wait = Math.min(wait * 2, 50)) {
      try {
        writeFileSync(this.lock, `${process.pid}\n`, { flag: 'wx' });
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new BoardError(`cannot lock ${this.lock}`, { cause: err });
        }
      }
      let pid = 0;
      try {
        pid = Number.parseInt(readFileSync(this.lock, 'utf8'), 10);
      } catch {
        continue; // released between our attempts
      }
      if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && !processAlive(pid)) {
        try {
          unlinkSync(this.lock); // its holder was killed
        } catch {}
        continue;
      }
      if (Date.now() > until)
        throw new BoardError(`${this.lock} held by process ${pid} for too long`);
      await new Promise((r) => setTimeout(r, wait));
    }
  }

  private release(): void {
    try {
      unlinkSync(this.lock);
    } catch {}
  }

  transact<T>(write: (img: BoardImage) => { img: BoardImage; result: T }): Promise<T> {
    // One transaction at a time in this process; the lock file orders them across processes.
    const run = this.queue.then(async () => {
      await this.acquire();
      try {
        const { img, result } = write(this.read());
        const tmp = `${this.file}.${randomBytes(6).toString('hex')}.tmp`;
        try {
          const fh = await open(tmp, 'wx', 0o600);
          try {
            await fh.writeFile(JSON.stringify(img));
            await fh.sync();
          } finally {
            await fh.close();
          }
          await rename(tmp, this.file);
        } catch (cause) {
          await rm(tmp, { force: true }).catch(() => {});
          throw new BoardError(`cannot write ${this.file}`, { cause });
        }
        return result;
      } finally {
        this.release();
      }
    });
    this.queue = run.catch(() => {});
    return run;
  }

  follow(onExternal: () => void): () => void {
    // Stat polling: works on every file system, and no event is lost to a rename.
    const listener = (): void => onExternal();
    watchFile(this.file, { interval: 50, persistent: false }, listener);
    return () => unwatchFile(this.file, listener);
  }

  async close(): Promise<void> {
    await this.queue;
  }
}

/**
 * A board kept in a folder, shared by every process that opens the same folder: the embedded
 * backing for approvals and task boards that must survive a restart.
 */
export function fileBoard(dir: string): Board {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new InvalidArgument('fileBoard needs a directory path');
  }
  return new LocalBoard(new FileImages(resolve(dir)));
}
