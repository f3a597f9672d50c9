import { actorRef, InvalidArgument, NoSuchActor, type Ref, shardRef } from '../../runtime/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';

export interface SendOptions extends Overrides {
  target: string;
  type: string;
  json: string;
  timeoutMs?: number;
}

function parseBody(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (cause) {
    throw new InvalidArgument(`message body is not valid JSON: ${(cause as Error).message}`);
  }
}

/** `team/coder` is an actor path, `@worker` any instance of a sharded type. */
function parseTarget(system: string, target: string): Ref {
  return target.startsWith('@')
    ? shardRef(system, target.slice(1))
    : actorRef(system, target.replaceAll('.', '/'));
}

/**
 * `troupe tell`: the target checks the body against its schema and says whether it took the
 * message; a refusal (bad body, unknown type, an ask sent as a tell) is the dead letter it
 * caused, reported with exit 1. Tells to `@type` go to whichever instance takes them: those
 * stay fire-and-forget, and the output says so.
 */
export async function tell(o: SendOptions, out: (line: string) => void): Promise<number> {
  const body = parseBody(o.json);
  const sys = await startCliClient(o);
  try {
    const ref = parseTarget(sys.name, o.target);
    if (!('path' in ref)) {
      sys.tell(ref, o.type, body);
      await sys.flush();
      out(`sent to any ${o.target} (fire-and-forget: a tell to a type is not confirmed)`);
      return 0;
    }
    try {
      await sys.tellConfirmed(ref, o.type, body);
    } catch (err) {
      // A node from before confirmed tells: deliver the plain way, and say what that means.
      if (!(err instanceof InvalidArgument && err.message.includes('$tell'))) throw err;
      if (!(await sys.exists(ref))) throw new NoSuchActor(ref.path);
      sys.tell(ref, o.type, body);
      await sys.flush();
      out('sent (fire-and-forget: this node does not confirm tells)');
      return 0;
    }
    out('sent');
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}

/** `troupe ask`: print the reply as JSON. */
export async function ask(o: SendOptions, out: (line: string) => void): Promise<number> {
  const body = parseBody(o.json);
  const timeout = o.timeoutMs ?? 5000;
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new InvalidArgument('--timeout must be a positive number of ms');
  const sys = await startCliClient(o);
  try {
    const reply = await sys.ask(parseTarget(sys.name, o.target), o.type, body, { timeout });
    out(JSON.stringify(reply));
    return 0;
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}
