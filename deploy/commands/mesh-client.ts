import { BRIDGE_PATH, type BridgeProtocol } from '../../actors/bridge/index.ts';
import {
  type ActorRef,
  type ActorSystem,
  actorRef,
  InvalidArgument,
  NoSuchActor,
  TroupeError,
} from '../../runtime/index.ts';
import { startCliClient } from '../cli-client.ts';
import type { Overrides } from '../config.ts';

/** Options every command that talks to a running bridge takes. */
export interface BridgeClientOptions extends Overrides {
  /** The bridge actor's path on its site; default `mesh-bridge`. */
  bridge?: string;
  timeoutMs?: number;
}

/** No bridge answers on the site's broker. */
export class BridgeUnreachableError extends TroupeError {
  readonly code = 'BridgeUnreachable';
  override readonly name = 'BridgeUnreachableError';
}

/**
 * Runs `ask` against the site's running bridge actor, from a short-lived client node on the
 * site's broker (the same pattern as `troupe ask`).
 */
export async function withBridge<R>(
  o: BridgeClientOptions,
  ask: (
    sys: ActorSystem,
    bridge: ActorRef<BridgeProtocol>,
    opts: { timeout: number },
  ) => Promise<R>,
): Promise<R> {
  const timeout = o.timeoutMs ?? 10_000;
  if (!Number.isFinite(timeout) || timeout <= 0) {
    throw new InvalidArgument('--timeout must be a positive number of ms');
  }
  const sys = await startCliClient(o);
  try {
    const ref: ActorRef<BridgeProtocol> = actorRef(sys.name, o.bridge ?? BRIDGE_PATH);
    try {
      return await ask(sys, ref, { timeout });
    } catch (err) {
      if (err instanceof NoSuchActor && err.target === ref.path) {
        throw new BridgeUnreachableError(
          `no mesh bridge answers for site ${sys.name} at ${ref.path}: start one with ` +
            '`troupe mesh up --nats <url> --system <site>`',
        );
      }
      throw err;
    }
  } finally {
    await sys.shutdown({ timeoutMs: 2000 });
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `90s`, `30m`, `24h`, `7d` (or plain milliseconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(text.trim());
  const ms = m ? Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new InvalidArgument(`${JSON.stringify(text)} is not a duration like 30m, 24h or 7d`);
  }
  return ms;
}
