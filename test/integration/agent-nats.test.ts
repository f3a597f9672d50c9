// An agent whose tool is another agent on another node: the ask crosses a real nats-server.
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  type ActorRef,
  agentTool,
  defineAgent,
  MemoryAuditSink,
  type ProtocolOf,
  scriptedModel,
} from '../../index.ts';
import { natsNodes } from '../support/test-systems.ts';

const nats = natsNodes('it', { shutdownMs: 3000 });

const Facts = z.object({ facts: z.array(z.string()) });
const Report = z.object({ title: z.string(), facts: z.number() });

describe('agents over NATS', () => {
  it("calls an agent on another node as a tool; the other agent's failure comes back as a tool error", async () => {
    const a1 = new MemoryAuditSink();
    const a2 = new MemoryAuditSink();
    const n1 = await nats.node('n1', { audit: a1 });
    const n2 = await nats.node('n2', { audit: a2 });
    const Researcher = defineAgent({
      type: 'researcher',
      model: scriptedModel([
        (req) => JSON.stringify({ facts: [`about ${req.messages.at(-1)!.content}`, 'second'] }),
        'not json',
      ]),
      instructions: 'Find facts.',
      input: z.string(),
      output: Facts,
      maxRepairs: 0,
    });
    n1.spawn(Researcher, { name: 'researcher' });
    await n1.flush();
    const researcher: ActorRef<ProtocolOf<typeof Researcher>> = {
      system: 'it',
      path: 'researcher',
    };

    const writerModel = scriptedModel([
      { toolCalls: [{ name: 'research', args: { input: 'otters' } }] },
      (req) => {
        const r = JSON.parse(req.messages.at(-1)!.content) as { facts: string[] };
        return JSON.stringify({ title: r.facts[0], facts: r.facts.length });
      },
      { toolCalls: [{ name: 'research', args: { input: 'again' } }] },
      (req) => {
        const last = req.messages.at(-1)!;
        return JSON.stringify({
          title: last.role === 'tool' && last.isError ? 'failed' : 'ok',
          facts: 0,
        });
      },
    ]);
    const Writer = defineAgent({
      type: 'writer',
      model: writerModel,
      instructions: 'Write.',
      output: Report,
      tools: [agentTool(researcher, { name: 'research', description: 'Ask the researcher' })],
    });
    const writer = n2.spawn(Writer, { name: 'writer' });
    const out = await n2.ask(writer, 'run', { input: 'otters report' }, { timeout: 15_000 });
    expect(out).toEqual({ title: 'about otters', facts: 2 });
    // Each node audited its own agent's calls.
    expect(a1.events.filter((e) => e.kind === 'model.call').map((e) => [e.actor, e.node])).toEqual([
      ['researcher', 'n1'],
    ]);
    expect(
      a2.events
        .filter((e) => e.kind === 'tool.call')
        .map((e) => [e.data.name, e.node, e.data.outcome]),
    ).toEqual([['research', 'n2', 'ok']]);

    // The researcher fails its second run (invalid output): the writer's model reads an error.
    const again = await n2.ask(writer, 'run', { input: 'again' }, { timeout: 15_000 });
    expect(again).toEqual({ title: 'failed', facts: 0 });
    const toolMsg = writerModel.requests[3]!.messages.at(-1)!;
    expect(toolMsg.role).toBe('tool');
    expect(JSON.parse(toolMsg.content).error).toMatchObject({ type: 'ActorFailedError' });
    expect(JSON.parse(toolMsg.content).error.message).toContain(
      'invalid output after 0 repair turns',
    );
  });
});
