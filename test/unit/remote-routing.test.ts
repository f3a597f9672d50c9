import { describe, expect, it } from 'vitest';
import { ActorSystem, InvalidArgument, routeSubject } from '../../index.ts';

describe('refs of other systems (remembered once checked)', () => {
  it('still refuses a bad remote ref every time, and routes good ones the same on every call', async () => {
    const sys = await ActorSystem.start({ name: 'here', logLevel: 'silent' });
    for (let i = 0; i < 3; i++) {
      expect(() => sys.tell({ system: 'there', path: 'bad path' }, 'x', {})).toThrow(
        /path segment/,
      );
      expect(() => sys.tell({ system: 'th.ere', path: 'ok' }, 'x', {})).toThrow(/system name/);
      expect(() => sys.tell({ system: 'there', path: 7 as never }, 'x', {})).toThrow(
        InvalidArgument,
      );
      // A good remote ref passes the check and then meets the embedded transport's refusal.
      expect(() => sys.tell({ system: 'there', path: 'team/coder' }, 'x', {})).toThrow(
        /reached through NATS/,
      );
    }
    await sys.shutdown();
    for (let i = 0; i < 3; i++) {
      expect(routeSubject('a', { system: 'b', path: 'team/coder' })).toBe(
        'troupe.a.mesh.b.a.team.coder',
      );
      expect(routeSubject('c', { system: 'b', path: 'team/coder' })).toBe(
        'troupe.c.mesh.b.a.team.coder',
      );
      expect(routeSubject('a', { system: 'b', shard: 'worker' })).toBe('troupe.a.mesh.b.t.worker');
    }
  });
});
