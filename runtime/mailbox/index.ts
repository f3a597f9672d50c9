export {
  BoundedQueue,
  isMailboxCapacity,
  MAX_CAPACITY,
  type QueueCapacity,
  toCapacity,
} from './bounded.ts';
export { LetterQueue } from './letter-queue.ts';
