import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { BridgeError, ListenError } from '../../actors/bridge/index.ts';
import {
  ActorFailedError,
  HungError,
  InvalidArgument,
  InvalidArgumentError,
  MailboxFullError,
  ModelError,
  NamedError,
  NoReplyError,
  NoSuchActorError,
  PayloadTooLargeError,
  PermissionDeniedError,
  parseOptions,
  RejectedError,
  RemoteError,
  StoppedError,
  Timeout,
  TimeoutError,
  TroupeError,
} from '../../index.ts';
import { MeshError, SessionClosedError } from '../../protocols/mesh/errors.ts';
import { fromWireError, toWireError } from '../../runtime/errors.ts';

describe('the error convention', () => {
  it('names every error after its class and keeps the cause', () => {
    const cause = new Error('underneath');
    const e = new SessionClosedError('closed', { cause });
    expect(e.name).toBe('SessionClosedError');
    expect(e).toBeInstanceOf(MeshError);
    expect(e).toBeInstanceOf(NamedError);
    expect(e.cause).toBe(cause);
    expect(String(e)).toBe('SessionClosedError: closed');
    class LocalError extends NamedError {}
    expect(new LocalError('x').name).toBe('LocalError');
  });

  it('keeps the old names as the same classes, with the new name and the old wire code', () => {
    expect(Timeout).toBe(TimeoutError);
    expect(InvalidArgument).toBe(InvalidArgumentError);
    const e = new Timeout('a', 'get', 5);
    expect(e).toBeInstanceOf(TimeoutError);
    expect(e.name).toBe('TimeoutError');
    expect(e.code).toBe('Timeout');
  });

  it('carries detail and cause through TroupeErrorOptions', () => {
    const cause = new Error('boom');
    const e = new ActorFailedError('team/a', 'boom', { cause });
    expect(e.cause).toBe(cause);
    expect(e.detail).toEqual({ target: 'team/a', reason: 'boom' });
    const m = new ModelError('rejected', 'no', 401);
    expect(m.detail).toEqual({ kind: 'rejected', status: 401 });
    expect(new InvalidArgumentError('bad').detail).toBeUndefined();
  });

  it('makes a code-only class with withCode: its own name, its base, the code, the cause', () => {
    const cause = new Error('EADDRINUSE');
    const e = new ListenError('port 7422 is taken', { cause });
    expect(e).toBeInstanceOf(ListenError);
    expect(e).toBeInstanceOf(BridgeError);
    expect(e).toBeInstanceOf(TroupeError);
    expect(e.name).toBe('ListenError');
    expect(e.code).toBe('ListenError');
    expect(e.cause).toBe(cause);
    expect(String(e)).toBe('ListenError: port 7422 is taken');
    expect(toWireError(e)).toEqual({
      code: 'ListenError',
      message: 'port 7422 is taken',
      detail: undefined,
    });
  });

  const known: TroupeError[] = [
    new TimeoutError('a/b', 'get', 250),
    new NoSuchActorError('a/b'),
    new RejectedError('a/b', 'add', z.object({ n: z.number() }).safeParse({}).error!.issues),
    new MailboxFullError('a/b', 10),
    new StoppedError('a/b'),
    new PayloadTooLargeError(2_000_000, 1_048_576),
    new ActorFailedError('a/b', 'boom'),
    new HungError('a/b', 'over 100 ms'),
    new NoReplyError('a/b', 'get'),
    new InvalidArgumentError('bad input'),
    new PermissionDeniedError('subscription', 'troupe.x.a.b'),
  ];

  it.each(known.map((e) => [e.code, e]))('rebuilds %s from the wire as itself', (_code, e) => {
    const back = fromWireError(structuredClone(toWireError(e)));
    expect(back.constructor).toBe(e.constructor);
    expect(back.name).toBe(e.name);
    expect(back.code).toBe(e.code);
    expect(back.message).toBe(e.message);
    expect(back.detail).toEqual(e.detail);
  });

  it('keeps the wire codes (they are protocol)', () => {
    expect(known.map((e) => e.code)).toEqual([
      'Timeout',
      'NoSuchActor',
      'Rejected',
      'MailboxFull',
      'Stopped',
      'PayloadTooLarge',
      'ActorFailed',
      'Hung',
      'NoReply',
      'InvalidArgument',
      'PermissionDenied',
    ]);
  });

  it('turns anything else from the wire into a typed error, never a throw', () => {
    fc.assert(
      fc.property(fc.anything(), (wire) => {
        const e = fromWireError(wire);
        expect(e).toBeInstanceOf(TroupeError);
        expect(typeof e.code).toBe('string');
      }),
    );
    const r = fromWireError({ code: 'toString', message: 'x' });
    expect(r).toBeInstanceOf(RemoteError);
    expect(r.code).toBe('toString');
  });
});

describe('parseOptions', () => {
  const Schema = z.object({ port: z.number().int(), host: z.string().optional() }).strict();

  it('returns the parsed value', () => {
    expect(parseOptions(Schema, { port: 80 }, 'server options')).toEqual({ port: 80 });
  });

  it('names what, each field at fault, and keeps the ZodError as cause', () => {
    let err: unknown;
    try {
      parseOptions(Schema, { port: 1.5, host: 3 }, 'server options');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidArgumentError);
    const e = err as InvalidArgumentError;
    expect(e.code).toBe('InvalidArgument');
    expect(e.message).toMatch(/^server options: port: .+; host: .+$/);
    expect(e.cause).toBeInstanceOf(z.ZodError);
  });

  it('names no path when the value itself is wrong', () => {
    expect(() => parseOptions(Schema, 'nope', 'server options')).toThrow(
      /^server options: Invalid input: expected object/,
    );
  });
});
