// The shared task board: CAS on revision and watch, on JetStream KV or in process.
export {
  BOARD_KEY,
  type Board,
  type BoardChange,
  type BoardEntry,
  BoardError,
  modify,
  RevisionConflictError,
} from './board.ts';
export { fileBoard } from './file-board.ts';
export { memoryBoard } from './memory-board.ts';
export { natsBoard } from './nats-board.ts';
