/**
 * One run queue for every actor in the process. Actors with mail are queued and run in
 * microtasks, so a burst of messages costs no timer or I/O turn; after a budget of
 * messages the queue continues in setImmediate, so sockets and timers are never starved.
 */
export interface Runnable {
  /** Handle up to `budget` messages; return how many were handled. */
  run(budget: number): number;
}

const TURN_BUDGET = 20_000;
const PER_ACTOR = 300;

// A ring buffer: resetting an array's length on every drain costs more than the drain.
let ring: (Runnable | undefined)[] = new Array(64);
let mask = 63;
let head = 0;
let tail = 0;
let scheduled = false;
let usedThisTurn = 0;
let turnOpen = false;
// Node's queueMicrotask wraps every callback for async hooks; a resolved promise costs a third.
const resolved = Promise.resolve();

export function schedule(r: Runnable): void {
  ring[tail] = r;
  tail = (tail + 1) & mask;
  if (tail === head) grow();
  if (scheduled) return;
  scheduled = true;
  if (usedThisTurn < TURN_BUDGET) void resolved.then(drain);
  else setImmediate(newTurn);
}

function grow(): void {
  const size = ring.length;
  const next: (Runnable | undefined)[] = new Array(size * 2);
  for (let i = 0; i < size; i++) next[i] = ring[(head + i) & mask];
  ring = next;
  head = 0;
  tail = size;
  mask = size * 2 - 1;
}

function newTurn(): void {
  usedThisTurn = 0;
  drain();
}

function drain(): void {
  if (!turnOpen) {
    // The first drain after the event loop moved on starts a fresh budget.
    turnOpen = true;
    setImmediate(closeTurn);
  }
  while (head !== tail) {
    if (usedThisTurn >= TURN_BUDGET) {
      setImmediate(newTurn);
      return;
    }
    const r = ring[head]!;
    ring[head] = undefined;
    head = (head + 1) & mask;
    usedThisTurn += r.run(PER_ACTOR);
  }
  scheduled = false;
}

function closeTurn(): void {
  turnOpen = false;
  usedThisTurn = 0;
}
