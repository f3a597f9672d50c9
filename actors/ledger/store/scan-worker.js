// Worker entry point. The ledger's sources are TypeScript; register the tsx loader (a runtime
// dependency) in this thread, then run the worker module.
import { register } from 'tsx/esm/api';

register();
await import('./scan-worker.ts');
