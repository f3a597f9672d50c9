// One side of ping-pong: serves `pong` until stopped.
//   troupe up examples/ping-pong/pong.ts --nats nats://127.0.0.1:4222
import { defineTroupe } from 'troupe';
import { Pong } from './protocol.ts';

export default defineTroupe({
  name: 'pingpong',
  setup(system) {
    system.spawn(Pong, { name: 'pong' });
  },
});
