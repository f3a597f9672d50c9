// The hello world of troupe: one actor with typed messages, a tell, an ask, and a dead letter.
// Run it embedded with `npm start`, or on a broker with `troupe up examples/counter/counter.ts --nats nats://127.0.0.1:4222`.

import { defineActor, defineTroupe } from 'troupe';
import { z } from 'zod';

export const Counter = defineActor({
  type: 'counter',
  state: () => ({ count: 0 }),
  tells: { add: z.object({ n: z.number().int() }) },
  asks: { get: { request: z.object({}), reply: z.number() } },
  handle: {
    add: (s, m) => ({ count: s.count + m.n }),
    get: (s, _m, ctx) => ctx.reply(s.count),
  },
});

export default defineTroupe({
  name: 'counter',
  setup(system) {
    system.spawn(Counter, { name: 'counter' });
  },
  // With --once, `troupe up` runs this tour and exits; without it the counter keeps serving.
  async run(system) {
    const counter = system.lookup<NonNullable<(typeof Counter)['__protocol']>>('counter')!;
    system.tell(counter, 'add', { n: 2 });
    system.tell(counter, 'add', { n: 40 });
    console.log('counter =', await system.ask(counter, 'get', {}, { timeout: 1000 }));
    // A message that fails its schema is never lost: it lands in dead letters with the reason.
    system.tell(counter, 'add', { n: 0.5 });
    const { letters } = await system.deadLetters();
    console.log('dead letter:', letters.at(-1)?.reason);
  },
});
