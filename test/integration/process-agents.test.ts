import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { actorRef, defineSupervisor, type ProtocolOf } from '../../index.ts';
import { Echo } from '../fixtures/process/agents.ts';
import { AGENTS_MODULE, type ProcessRig, processRig } from '../support/process-agents.ts';

const SYS = 'ptest';

describe('process agents', () => {
  let rig: ProcessRig;
  beforeAll(async () => {
    rig = await processRig(SYS, [
      { path: 'team/a', peers: [] },
      { path: 'team/b', peers: [] },
    ]);
    await rig.store.set('team/a', 'API_KEY', 'sk-a-very-secret-value-AAAA');
    await rig.store.set('team/b', 'API_KEY', 'sk-b-very-secret-value-BBBB');
  }, 60_000);
  afterAll(async () => {
    await rig?.close();
  }, 60_000);

  it('starts each agent in its own process, workspace and environment', async () => {
    const Team = defineSupervisor({
      type: 'team',
      strategy: 'one_for_one',
      intensity: 5,
      period: 10,
      children: [
        {
          id: 'a',
          start: {
            def: Echo,
            process: { module: AGENTS_MODULE, secrets: ['API_KEY'], env: { MODE: 'a' } },
          },
        },
        { id: 'b', start: { def: Echo, process: { module: AGENTS_MODULE, secrets: ['API_KEY'] } } },
      ],
    });
    rig.system.spawn(Team, { name: 'team' });
    await rig.system.allStarted();
    const a = await rig.system.ask(
      actorRef<ProtocolOf<typeof Echo>>(SYS, 'team/a'),
      'ping',
      {},
      { timeout: 20_000 },
    );
    expect(a.pid).not.toBe(process.pid);
  }, 120_000);
});
