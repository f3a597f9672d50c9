import { fstatSync, readFileSync } from 'node:fs';
import { Socket } from 'node:net';
import { setAgentSecrets } from '../actors/process/agent-secrets.ts';
import { Bootstrap, type WorkerStatus } from '../actors/process/worker-protocol.ts';
import { type ActorDef, ActorSystem, permissionDenied } from '../runtime/index.ts';
import { kernelOf } from '../runtime/kernel-access.ts';

/**
 * The troupe worker: the entry of an agent that runs as its own OS process. It reads its
 * bootstrap (identity, NATS credentials, secrets) from fd 3, connects with the agent's own
 * credentials, hosts the one actor at its path, says `ready`, and exits when the actor
 * crashes (the supervisor restarts it), when told to stop (SIGTERM), or when its supervisor
 * goes away (fd 3 closes): no orphan outlives its supervisor.
 */
export async function runWorker(mod: Record<string, unknown>): Promise<void> {
  // A supervisor hands a socket pair. A plain respawn loop (the benchmark's peer) may hand a
  // bootstrap file instead: no status channel then, and never secrets in it.
  const pipe = fstatSync(3).isSocket()
    ? new Socket({ fd: 3, readable: true, writable: true })
    : null;
  pipe?.on('error', () => {});
  const say = (s: WorkerStatus): void => {
    if (pipe !== null && !pipe.destroyed) pipe.write(`${JSON.stringify(s)}\n`);
  };
  try {
    await host(mod, pipe, say);
  } catch (err) {
    const reason = `start failed: ${err instanceof Error ? err.message : String(err)}`;
    say({ t: 'exit', reason, abnormal: true, phase: 'start' });
    if (pipe === null) process.exit(1);
    pipe.end(() => process.exit(1));
    setTimeout(() => process.exit(1), 1_000).unref();
  }
}

async function host(
  mod: Record<string, unknown>,
  pipe: Socket | null,
  say: (s: WorkerStatus) => void,
): Promise<void> {
  const boot =
    pipe === null
      ? Bootstrap.parse(JSON.parse(readFileSync(3, 'utf8')))
      : await readBootstrap(pipe);
  setAgentSecrets(boot.path, boot.secrets);
  const def = findDef(mod, boot.type, boot.export);
  const sys = await ActorSystem.start({
    name: boot.system,
    node: boot.node,
    logLevel: boot.logLevel as 'info',
    heartbeatMs: boot.heartbeatMs,
    transport: { kind: 'nats', ...boot.nats },
  });
  let exiting = false;
  const exit = (code: number, status?: WorkerStatus): void => {
    if (exiting) return;
    exiting = true;
    if (status) say(status);
    void sys
      .shutdown({ timeoutMs: boot.settings.shutdownMs ?? 5_000 })
      .catch(() => {})
      .finally(() => (pipe === null ? process.exit(code) : pipe.end(() => process.exit(code))));
    setTimeout(() => process.exit(code), (boot.settings.shutdownMs ?? 5_000) + 1_000).unref();
  };
  process.on('SIGTERM', () => exit(0));
  process.on('SIGINT', () => exit(0));
  pipe?.on('close', () => exit(0));
  watchDenials(sys, say);
  sys.setProcessInfo((p) => {
    if (p !== boot.path && !p.startsWith(`${boot.path}/`)) return undefined;
    const cpu = process.cpuUsage();
    return {
      pid: process.pid,
      rssBytes: process.memoryUsage.rss(),
      cpuMs: Math.round((cpu.user + cpu.system) / 1000),
      workspace: boot.workspace,
      logFile: boot.logFile,
    };
  });
  let ready = false;
  sys.on((e) => {
    if (e.kind === 'deadLetter' || e.kind === 'transport' || e.path !== boot.path || exiting)
      return;
    if (e.kind === 'crashed' || e.kind === 'hung')
      exit(1, { t: 'exit', reason: e.reason, abnormal: true, phase: ready ? 'message' : 'start' });
    else if (e.kind === 'stopped')
      exit(0, { t: 'exit', reason: e.reason, abnormal: false, phase: 'exit' });
  });
  const cell = kernelOf(sys).spawnHosted(def, {
    type: boot.type,
    path: boot.path,
    args: boot.args,
    // Exit reports go to this node, where nobody tracks them: the pipe carries the exit.
    supervisor: { node: boot.node, path: boot.supervisorPath },
    settings: boot.settings,
    restarts: boot.restarts,
  });
  try {
    await cell.whenStarted();
  } catch (err) {
    exit(1, {
      t: 'exit',
      reason: `start failed: ${(err as Error).message}`,
      abnormal: true,
      phase: 'start',
    });
    return;
  }
  await sys.flush();
  ready = true;
  say({ t: 'ready', pid: process.pid });
}

function readBootstrap(pipe: Socket): Promise<Bootstrap> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (d: Buffer): void => {
      buf += d.toString('utf8');
      const i = buf.indexOf('\n');
      if (i < 0) return;
      pipe.off('data', onData);
      const r = Bootstrap.safeParse(JSON.parse(buf.slice(0, i)));
      buf = '';
      if (r.success) resolve(r.data);
      else reject(new Error(`bad bootstrap: ${r.error.issues[0]?.message}`));
    };
    pipe.on('data', onData);
    pipe.once('close', () =>
      reject(new Error('the supervisor closed the pipe before the bootstrap')),
    );
  });
}

function isDef(v: unknown): v is ActorDef {
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof (v as ActorDef).type === 'string' &&
    typeof (v as ActorDef).entries === 'object'
  );
}

function findDef(mod: Record<string, unknown>, type: string, name: string | undefined): ActorDef {
  if (name !== undefined) {
    const d = mod[name];
    if (!isDef(d)) throw new Error(`the module's export ${name} is not an actor definition`);
    return d;
  }
  for (const v of Object.values(mod)) if (isDef(v) && v.type === type) return v;
  throw new Error(`the module exports no actor definition of type ${type}`);
}

/** A refused subject is a typed error in the agent's log and a status line to its supervisor. */
function watchDenials(sys: ActorSystem, say: (s: WorkerStatus) => void): void {
  const nc = sys.nats;
  if (nc === undefined) return;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type !== 'error') continue;
      const d = permissionDenied((s as { error?: unknown }).error);
      if (d) say({ t: 'denied', operation: d.operation, subject: d.subject });
    }
  })();
}
