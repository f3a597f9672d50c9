export { BoundedQueue, type QueueCapacity } from './bounded.ts';
