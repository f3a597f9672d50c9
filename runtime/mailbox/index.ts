export { BoundedQueue, isMailboxCapacity, MAX_CAPACITY, type QueueCapacity } from './bounded.ts';
