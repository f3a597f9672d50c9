import { parentPort } from 'node:worker_threads';
import { scanWindow, type WindowInput } from './scan-window.ts';

// One scan window per message; the bulky outputs go back as transferred buffers. The first
// message says the thread is up (loading the TypeScript sources takes a while).
parentPort?.postMessage({ ready: true });
parentPort?.on('message', (msg: { id: number; input: WindowInput }) => {
  const out = scanWindow(msg.input);
  parentPort?.postMessage({ id: msg.id, output: out }, [
    ...out.levels.map((l) => l.buffer as ArrayBuffer),
    out.types.buffer as ArrayBuffer,
    out.seqs.buffer as ArrayBuffer,
    out.auxs.buffer as ArrayBuffer,
  ]);
});
