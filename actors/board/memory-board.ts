import type { Board } from './board.ts';
import { type BoardImage, type ImageStore, LocalBoard } from './local-board.ts';

/** The image lives only in this process: writes are applied one after another. */
class MemoryImages implements ImageStore {
  readonly where = 'memory';
  private img: BoardImage = { revision: 0, entries: Object.create(null) };
  async load(): Promise<BoardImage> {
    return this.img;
  }
  async transact<T>(write: (img: BoardImage) => { img: BoardImage; result: T }): Promise<T> {
    // Synchronous inside: no other write can interleave between the check and the set.
    const { img, result } = write(this.img);
    this.img = img;
    return result;
  }
  follow(): () => void {
    return () => {};
  }
  async close(): Promise<void> {}
}

/** A board in this process's memory, with the same CAS and watch semantics as `natsBoard`. */
export function memoryBoard(): Board {
  return new LocalBoard(new MemoryImages());
}
