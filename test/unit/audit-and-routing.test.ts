import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ActorSystem,
  defineActor,
  InvalidArgument,
  MemoryAuditSink,
  routeSubject,
  senderRef,
} from '../../index.ts';

describe('audit events', () => {
  it('carry the actor path, node, system and trace of the message being handled', async () => {
    const sink = new MemoryAuditSink();
    const sys = await ActorSystem.start({
      name: 'aud',
      node: 'n1',
      logLevel: 'silent',
      audit: sink,
    });
    const Agent = defineActor({
      type: 'agent',
      state: () => null,
      tells: { act: z.object({}) },
      handle: {
        act(_s, _m, ctx) {
          ctx.audit('tool.call', { tool: 'grep', ok: true });
        },
      },
    });
    const a = sys.spawn(Agent, { name: 'coder' });
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    sys.tell(a, 'act', {}, { traceparent: tp });
    await sys.whenQuiescent();
    sys.audit('security.key_rotated', { key: 'k1' });
    expect(sink.events).toHaveLength(2);
    expect(sink.events[0]).toMatchObject({
      kind: 'tool.call',
      system: 'aud',
      node: 'n1',
      actor: 'coder',
      trace: tp,
      data: { tool: 'grep', ok: true },
    });
    expect(sink.events[1]).toMatchObject({ kind: 'security.key_rotated', actor: 'sys/runtime' });
    expect(new Set(sink.events.map((e) => e.id)).size).toBe(2);
    expect(() => sys.audit('Bad Kind')).toThrow(InvalidArgument);
    expect(() => sys.audit('ok.kind', 'x' as never)).toThrow(/plain object/);
    await sys.shutdown();
  });
});

describe('routing subjects', () => {
  it('routes within a system to the actor or type subject, and to another site through the mesh', () => {
    expect(routeSubject('dev', { system: 'dev', path: 'team/coder' })).toBe(
      'troupe.dev.a.team.coder',
    );
    expect(routeSubject('dev', { system: 'dev', shard: 'worker' })).toBe('troupe.dev.t.worker');
    expect(routeSubject('dev', { system: 'eu', path: 'team/coder' })).toBe(
      'troupe.dev.mesh.eu.a.team.coder',
    );
    expect(routeSubject('dev', { system: 'eu', shard: 'worker' })).toBe(
      'troupe.dev.mesh.eu.t.worker',
    );
  });

  it('names the sender’s system when a message leaves it', () => {
    expect(senderRef('eu', 'team/planner')).toEqual({ system: 'eu', path: 'team/planner' });
    expect(senderRef('eu', 'dev:team/planner')).toEqual({ system: 'dev', path: 'team/planner' });
  });
});
