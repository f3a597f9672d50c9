// Minimal examples of OTP supervision rules that the property test in
// test/property/supervision.property.test.ts found troupe breaking; each is one rule.
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ActorSystem, defineActor, defineSupervisor } from '../../index.ts';

const systems: ActorSystem[] = [];
afterEach(async () => {
  await Promise.all(systems.splice(0).map((s) => s.shutdown({ timeoutMs: 2000 })));
});
async function start(): Promise<ActorSystem> {
  const s = await ActorSystem.start({ name: 'p', logLevel: 'silent' });
  systems.push(s);
  return s;
}

const Worker = defineActor({
  type: 'w',
  state: () => ({}),
  tells: { crash: z.object({}), exit: z.object({}) },
  handle: {
    crash() {
      throw new Error('boom');
    },
    exit(_s, _m, ctx) {
      void ctx.stop();
    },
  },
});

describe('simple_one_for_one', () => {
  it('startChild adds an instance of the template', async () => {
    // OTP: "all child processes are added dynamically by calling supervisor:start_child(Sup, List)".
    const Pool = defineSupervisor({
      type: 'pool',
      strategy: 'simple_one_for_one',
      children: [{ id: 'job', start: { def: Worker }, shutdown: 'brutal' }],
    });
    const sys = await start();
    const pool = sys.spawn(Pool, { name: 'pool' });
    const path = await sys.ask(pool, 'startChild', { args: {} }, { timeout: 2000 });
    expect(path).toBe('pool/job-1');
    expect(sys.lookup('pool/job-1')).toBeDefined();
  });
});
