// The body of a test host process: start a system on the broker named in argv, let `setup`
// spawn or host what the test needs, print `ready`, and shut down on SIGTERM/SIGINT.
import { ActorSystem } from '../../index.ts';
import type { SystemOptions } from '../../runtime/index.ts';

export interface HostArgs {
  servers: string;
  user: string;
  pass: string;
  node: string;
  /** argv after the five fixed ones. */
  rest: string[];
}

/** argv: `servers user pass system node …rest`. `setup` may return a cleanup run at shutdown. */
export async function runHostProcess(
  options: Pick<SystemOptions, 'heartbeatMs'>,
  setup: (sys: ActorSystem, a: HostArgs) => Promise<(() => Promise<void>) | undefined>,
): Promise<void> {
  const [servers, user, pass, system, node, ...rest] = process.argv.slice(2) as string[];
  const a: HostArgs = { servers: servers!, user: user!, pass: pass!, node: node!, rest };
  const sys = await ActorSystem.start({
    name: system!,
    node: a.node,
    logLevel: 'silent',
    ...options,
    transport: { kind: 'nats', servers: a.servers, user: a.user, pass: a.pass },
  });
  const cleanup = await setup(sys, a);
  await sys.flush();
  process.stdout.write('ready\n');
  const stop = async () => {
    await sys.shutdown({ timeoutMs: 2000 });
    await cleanup?.();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}
