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

/** `troupe tell`: fire and forget, but say so when nobody lives at the path. */
export async function tell(o: SendOptions, out: (line: string) => void): Promise<number> {
  const body = parseBody(o.json);
  const sys = await startCliClient(o);
  try {
    const ref = parseTarget(sys.name, o.target);
    if ('path' in ref && !(await sys.exists(ref))) throw new NoSuchActor(ref.path);
    sys.tell(ref, o.type, body);
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
