import { type ChildProcess, spawn } from 'node:child_process';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Child, ProcessChildRequest } from '../../runtime/index.ts';
import { AgentLog, eachLine } from './agent-log.ts';
import { ProcessStartFailed } from './errors.ts';
import { exitReason } from './exit-reason.ts';
import { agentIdentity, agentPassword } from './identity.ts';
import type { LaunchContext } from './launch-context.ts';
import { cgroupOomKilled, joinCgroup, type LimitPlan, planLimits, removeCgroup } from './limits.ts';
import { groupMembers, signalGroup, waitGroupGone } from './process-group.ts';
import { workerBundle } from './worker-bundle.ts';
import type { Bootstrap } from './worker-protocol.ts';
import { WorkerStatus } from './worker-protocol.ts';
import { prepareWorkspace } from './workspace.ts';

const TAIL = 8 * 1024;

/** One run of the agent's OS process. */
interface Incarnation {
  readonly proc: ChildProcess;
  readonly pgid: number;
  readonly log: AgentLog;
  readonly plan: LimitPlan;
  ready: boolean;
  exitedAt: number | null;
  reported: Extract<WorkerStatus, { t: 'exit' }> | null;
  stderrTail: string;
  /** Settles once the process has exited and its group is gone. */
  readonly done: Promise<void>;
}

/**
 * A supervised child that is an OS process. To its supervisor it is a Child like any other:
 * a crash (exit code, signal, a limit) comes back as an exit with that reason; a restart in
 * place starts a new process in the same workspace with the same secrets; stop sends SIGTERM
 * to the whole process group, then SIGKILL after the spec's shutdown time.
 */
export class ProcessChild implements Child {
  readonly path: string;
  private state: 'starting' | 'running' | 'suspended' | 'stopped' = 'starting';
  private started: Promise<void>;
  private current: Incarnation | null = null;
  private restarts: number;

  constructor(
    private readonly ctx: LaunchContext,
    private readonly req: ProcessChildRequest,
  ) {
    this.path = req.path;
    this.restarts = req.restarts;
    this.started = this.begin();
  }

  get stopped(): boolean {
    return this.state === 'stopped';
  }

  get suspended(): boolean {
    return this.state === 'suspended';
  }

  /** The running process's id (null between runs). */
  get pid(): number | null {
    const c = this.current;
    return c !== null && c.exitedAt === null ? (c.proc.pid ?? null) : null;
  }

  whenStarted(): Promise<void> {
    return this.started;
  }

  async restartInPlace(): Promise<void> {
    if (this.state !== 'suspended') return;
    this.state = 'starting';
    this.restarts++;
    this.started = this.begin();
    await this.started.catch(() => {});
  }

  async stop(reason: string, timeoutMs?: number): Promise<void> {
    if (this.state === 'stopped' && this.current === null) return;
    this.state = 'stopped';
    const inc = this.current;
    if (inc === null) return;
    inc.log.event(30, 'stopping', { reason });
    await this.terminate(inc, timeoutMs ?? this.req.spec.shutdownMs);
  }

  private begin(): Promise<void> {
    const p = this.launch().then(
      (inc) => {
        if (this.state === 'starting') this.state = 'running';
        else if (this.state === 'stopped') void this.terminate(inc, 0);
      },
      (err: unknown) => {
        if (this.state === 'stopped') throw err;
        this.state = 'stopped';
        const why = err instanceof Error ? err.message : String(err);
        this.req.exited(this, `start failed: ${why}`, true, 'start');
        throw err;
      },
    );
    p.catch(() => {});
    return p;
  }

  /** Prepare the workspace, secrets and limits, start the process and wait for `ready`. */
  private async launch(): Promise<Incarnation> {
    const { req, ctx } = this;
    const spec = req.process;
    const id = agentIdentity(req.system, req.path);
    let workspace: string;
    let secrets: Record<string, string>;
    let pass: string;
    let entry: string[];
    try {
      if (req.nc === undefined)
        throw new Error(
          'process agents need the NATS transport: start the system with NATS (troupe up --nats <url>, or --serve-nats for a private server)',
        );
      workspace = await prepareWorkspace(ctx.workspaceRoot, req.path, {
        dir: spec.workspace?.dir,
        policy: spec.workspace?.policy,
        uid: spec.uid,
        gid: spec.gid,
      });
      secrets = await ctx.secrets(req.path, spec.secrets ?? []);
      pass = agentPassword(ctx.masterKey(), req.system, req.path);
      entry =
        spec.command !== undefined
          ? spec.command
          : [
              ctx.nodePath,
              ...(spec.limits?.memoryMb !== undefined
                ? [`--max-old-space-size=${Math.max(8, Math.floor(spec.limits.memoryMb * 0.75))}`]
                : []),
              await workerBundle(resolve(spec.module!)),
            ];
    } catch (cause) {
      throw new ProcessStartFailed(req.path, (cause as Error).message, { cause });
    }
    if (this.state === 'stopped')
      throw new ProcessStartFailed(req.path, 'stopped before it started');
    const logFile = join(ctx.logRoot, `${req.path.replaceAll('/', '.')}.log`);
    const log = new AgentLog(logFile, req.path, ctx.logOptions);
    log.redact(secrets);
    const plan = planLimits(id.node, spec.limits);
    const applied = { via: plan.via, limits: spec.limits ?? {}, unenforced: plan.unenforced };
    req.log.info({ actor: req.path, ...applied }, `process limits: ${plan.via}`);
    if (plan.unenforced.length > 0)
      req.log.warn(
        { actor: req.path, unenforced: plan.unenforced },
        'process limits not enforced here',
      );
    log.event(30, `process limits: ${plan.via}`, applied);
    const argv = [...plan.wrapper, ...entry];
    let proc: ChildProcess;
    try {
      proc = spawn(argv[0]!, argv.slice(1), {
        cwd: workspace,
        env: { ...(spec.env ?? {}) },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
        uid: spec.uid,
        gid: spec.gid ?? spec.uid,
      });
    } catch (cause) {
      log.close();
      throw new ProcessStartFailed(req.path, `spawn failed: ${(cause as Error).message}`, {
        cause,
      });
    }
    const pid = proc.pid;
    if (pid !== undefined && plan.cgroup !== null && !joinCgroup(plan.cgroup, pid))
      req.log.warn({ actor: req.path }, 'could not move the agent into its cgroup');
    let markDone!: () => void;
    const inc: Incarnation = {
      proc,
      pgid: pid ?? -1,
      log,
      plan,
      ready: false,
      exitedAt: null,
      reported: null,
      stderrTail: '',
      done: new Promise<void>((r) => {
        markDone = r;
      }),
    };
    this.current = inc;
    eachLine(proc.stdout!, (l) => log.line('stdout', l));
    eachLine(proc.stderr!, (l) => {
      log.line('stderr', l);
      inc.stderrTail = (inc.stderrTail + log.scrub(l) + '\n').slice(-TAIL);
    });
    const pipe = proc.stdio[3] as Socket;
    pipe.on('error', () => {});
    return new Promise<Incarnation>((resolveReady, rejectReady) => {
      eachLine(pipe, (l) => {
        let s: WorkerStatus;
        try {
          s = WorkerStatus.parse(JSON.parse(l));
        } catch {
          log.event(40, 'malformed status line from the agent dropped');
          return;
        }
        if (s.t === 'ready' && !inc.ready) {
          inc.ready = true;
          log.event(30, 'ready', { pid: proc.pid });
          req.audit('process.started', { pid: proc.pid ?? null, workspace, limits: plan.via });
          resolveReady(inc);
        } else if (s.t === 'exit') {
          inc.reported = { ...s, reason: log.scrub(s.reason) };
        } else if (s.t === 'denied') {
          const fields = { actor: req.path, operation: s.operation, subject: s.subject };
          req.log.error(fields, `PermissionDenied: ${s.operation} to ${s.subject}`);
          log.event(50, `PermissionDenied: ${s.operation} to ${s.subject}`, fields);
        }
      });
      proc.once('error', (err) => {
        if (inc.exitedAt !== null) return;
        inc.exitedAt = Date.now();
        markDone();
        log.close();
        rejectReady(
          new ProcessStartFailed(req.path, `spawn failed: ${err.message}`, { cause: err }),
        );
      });
      proc.once('exit', (code, signal) => {
        inc.exitedAt = Date.now();
        // The agent is gone: so is everything it started (no orphans), then read what it said.
        signalGroup(inc.pgid, 'SIGKILL');
        void this.afterExit(inc, code, signal).then((r) => {
          markDone();
          if (!inc.ready) {
            rejectReady(new ProcessStartFailed(req.path, r.reason));
            return;
          }
          this.onExit(inc, r);
        });
      });
      const boot: Bootstrap = {
        v: 1,
        system: req.system,
        node: id.node,
        path: req.path,
        type: req.type,
        args: req.args,
        supervisorPath: req.supervisorPath,
        settings: {
          restart: req.spec.restart,
          shutdownMs: Number.isFinite(req.spec.shutdownMs) ? req.spec.shutdownMs : null,
          maxHandlerMs: req.spec.maxHandlerMs ?? null,
          heartbeatMs: req.spec.heartbeatMs ?? null,
        },
        restarts: this.restarts,
        export: spec.export,
        nats: {
          servers: `nats://${req.nc!.getServer()}`,
          user: id.user,
          pass,
          inboxPrefix: id.inboxPrefix,
        },
        secrets,
        workspace,
        logFile,
        heartbeatMs: ctx.heartbeatMs,
        logLevel: ctx.logLevel,
      };
      pipe.write(`${JSON.stringify(boot)}\n`);
    });
  }

  /** Wait (bounded) for the group to empty and the output to be read; decide the reason. */
  private async afterExit(
    inc: Incarnation,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<{ reason: string; abnormal: boolean; phase: 'start' | 'message' | 'exit' }> {
    await waitGroupGone(inc.pgid, 5_000);
    await new Promise<void>((r) => {
      if (inc.proc.stdout?.readableEnded && inc.proc.stderr?.readableEnded) r();
      else {
        inc.proc.once('close', () => r());
        setTimeout(r, 2_000).unref();
      }
    });
    const oom = inc.plan.cgroup !== null && cgroupOomKilled(inc.plan.cgroup);
    if (inc.plan.cgroup !== null) removeCgroup(inc.plan.cgroup);
    const fromCode = exitReason(code, signal, inc.stderrTail, this.req.process.limits, oom);
    const r =
      inc.reported !== null && (fromCode.abnormal === inc.reported.abnormal || code === 0)
        ? inc.reported
        : { ...fromCode, phase: inc.ready ? ('message' as const) : ('start' as const) };
    const reason = inc.log.scrub(r.reason);
    inc.log.event(r.abnormal ? 50 : 30, 'exited', { code, signal, reason });
    inc.log.close();
    return { reason, abnormal: r.abnormal, phase: r.phase };
  }

  private onExit(
    inc: Incarnation,
    r: { reason: string; abnormal: boolean; phase: 'start' | 'message' | 'exit' },
  ): void {
    if (this.current === inc) this.current = null;
    if (this.state === 'stopped') return;
    this.req.log[r.abnormal ? 'error' : 'info'](
      { actor: this.path, reason: r.reason },
      r.abnormal ? 'process agent crashed' : 'process agent exited',
    );
    this.req.audit('process.exited', { reason: r.reason, abnormal: r.abnormal });
    this.state = r.abnormal ? 'suspended' : 'stopped';
    this.req.exited(this, r.reason, r.abnormal, r.phase);
  }

  /** SIGTERM to the group, SIGKILL after `timeoutMs`, then make sure nothing of it is left. */
  private async terminate(inc: Incarnation, timeoutMs: number): Promise<void> {
    if (inc.exitedAt === null) {
      signalGroup(inc.pgid, timeoutMs <= 0 ? 'SIGKILL' : 'SIGTERM');
      if (timeoutMs > 0) {
        let timer: NodeJS.Timeout | undefined;
        const waited = Number.isFinite(timeoutMs)
          ? new Promise<void>((r) => {
              timer = setTimeout(r, timeoutMs);
            })
          : new Promise<void>(() => {});
        await Promise.race([inc.done, waited]);
        if (timer) clearTimeout(timer);
      }
    }
    signalGroup(inc.pgid, 'SIGKILL');
    await inc.done;
    if (groupMembers(inc.pgid).length > 0) {
      signalGroup(inc.pgid, 'SIGKILL');
      await waitGroupGone(inc.pgid, 5_000);
    }
    if (this.current === inc) this.current = null;
  }
}
