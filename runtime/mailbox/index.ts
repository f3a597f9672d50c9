export { BoundedQueue } from './bounded.ts';
