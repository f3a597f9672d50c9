// The other side: a separate process that pings `pong` over NATS and reports round trips.
//   troupe up examples/ping-pong/ping.ts --nats nats://127.0.0.1:4222 --once
import { actorRef, defineTroupe } from 'troupe';
import type { PongProtocol } from './protocol.ts';

const ROUNDS = Number(process.env.PING_ROUNDS ?? 100);

export default defineTroupe({
  name: 'pingpong',
  setup() {},
  async run(system) {
    const pong = actorRef<PongProtocol>(system.name, 'pong');
    const t0 = performance.now();
    let by = '';
    for (let n = 0; n < ROUNDS; n++) {
      const r = await system.ask(pong, 'ping', { n }, { timeout: 2000 });
      if (r.n !== n) throw new Error(`pong answered ${r.n} to ${n}`);
      by = r.by;
    }
    const ms = performance.now() - t0;
    console.log(
      `ping: ${ROUNDS} round trips to ${by} in ${ms.toFixed(0)} ms (${((ms * 1000) / ROUNDS).toFixed(0)} µs each)`,
    );
  },
});
