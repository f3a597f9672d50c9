/**
 * A small reference model of OTP supervision, written from the OTP documentation alone and
 * independently of troupe's implementation: it knows nothing of actors, mailboxes or events,
 * only of supervisors, child specs and the processes they start.
 *
 * Sources (quoted briefly where a rule is modelled):
 * - [SUP] STDLIB reference manual, `supervisor`: "Supervision Principles", child_spec(),
 *   terminate_child/2 (https://www.erlang.org/doc/apps/stdlib/supervisor.html).
 * - [DP] OTP Design Principles, "Supervisor Behaviour"
 *   (https://www.erlang.org/doc/system/sup_princ.html).
 *
 * Troupe-specific facts the model takes as given, not as OTP rules:
 * - the top supervisor hangs under the system root, which does not restart a supervisor that
 *   gave up (it stopped with `shutdown`); in OTP the top supervisor of an application ending
 *   ends the application, so nothing restarts it either;
 * - a simple_one_for_one child added with `startChild` gets the id `<template id>-<n>`; the
 *   caller passes that id in (`addDynamicChild`), the model does not invent it.
 */

export type RestartType = 'permanent' | 'transient' | 'temporary';
export type Strategy = 'one_for_one' | 'one_for_all' | 'rest_for_one' | 'simple_one_for_one';

export interface WorkerSpec {
  readonly kind: 'worker';
  readonly id: string;
  readonly restart: RestartType;
}

export interface SupervisorSpec {
  readonly kind: 'supervisor';
  readonly id: string;
  readonly restart: RestartType;
  readonly strategy: Strategy;
  /** MaxR. */
  readonly intensity: number;
  /** MaxT, seconds. */
  readonly period: number;
  /** Static child specs in start order; for simple_one_for_one, the single template. */
  readonly children: readonly ChildSpec[];
}

export type ChildSpec = WorkerSpec | SupervisorSpec;

/**
 * How a process ended, as its supervisor sees the exit reason.
 * [DP] "A transient child process is restarted only if it terminates abnormally, that is,
 * with an exit reason other than normal, shutdown, or {shutdown,Term}."
 */
export type ExitReason = 'normal' | 'shutdown' | 'abnormal';

/** What one event does, in the order the model's supervisors do it. */
export interface Effects {
  /**
   * Processes that terminated, in order: the one the event hit first, then every process a
   * supervisor terminated (or that terminated itself on giving up). An inner array is a set
   * terminated in no defined order (the children of a simple_one_for_one supervisor).
   */
  readonly terminated: (string | string[])[];
  /** Processes started (or restarted), in order. */
  readonly started: string[];
  /** Supervisors that reached their maximum restart intensity, innermost first. */
  readonly gaveUp: string[];
  /** Children whose spec the supervisor deleted (temporary children, dynamic children). */
  readonly removed: string[];
  /** Children that ended and were not restarted, spec kept (transient, after a normal exit). */
  readonly notRestarted: string[];
  /** The exit reason each supervisor that gave up terminated itself with. */
  readonly gaveUpReason: Record<string, ExitReason>;
}

export interface ChildView {
  readonly id: string;
  readonly status: 'running' | 'terminated';
}

interface Child {
  readonly spec: ChildSpec;
  /** The running process, or null: the spec is kept but no process exists. */
  proc: Proc | null;
}

interface Proc {
  readonly path: string;
  readonly spec: ChildSpec;
  readonly parent: Proc | null;
  /** Present for supervisors. */
  readonly sup: SupState | null;
}

interface SupState {
  readonly spec: SupervisorSpec;
  /** Times (seconds) of the restarts counted against the intensity. */
  restarts: number[];
  children: Child[];
}

function restartWanted(restart: RestartType, reason: ExitReason): boolean {
  // [SUP] child_spec restart: "A permanent child process will always be restarted, a
  // temporary child process will never be restarted ... and a transient child process will be
  // restarted only if it terminates abnormally".
  switch (restart) {
    case 'permanent':
      return true;
    case 'temporary':
      return false;
    case 'transient':
      return reason === 'abnormal';
  }
}

export class OtpModel {
  private top: Proc | null;
  private now = 0;

  /** Starts the top supervisor, named `name` (its path), and its whole static tree. */
  constructor(
    spec: SupervisorSpec,
    readonly name = 'top',
  ) {
    const started: string[] = [];
    this.top = this.spawn(spec, name, null, started);
  }

  /** The paths the initial start produced, in start order. */
  initialStarts(): string[] {
    const out: string[] = [];
    const walk = (p: Proc): void => {
      out.push(p.path);
      for (const c of p.sup?.children ?? []) if (c.proc) walk(c.proc);
    };
    if (this.top) walk(this.top);
    return out;
  }

  /**
   * Adds a child to a running simple_one_for_one supervisor.
   * [DP] "When started, the supervisor does not start any child processes. Instead, all child
   * processes are added dynamically by calling: supervisor:start_child(Sup, List)".
   */
  addDynamicChild(supPath: string, id: string): string {
    const p = this.find(supPath);
    if (p === undefined || p.sup?.spec.strategy !== 'simple_one_for_one')
      throw new Error(`${supPath} is not a running simple_one_for_one supervisor`);
    const template = p.sup.spec.children[0]!;
    const spec: ChildSpec = { ...template, id };
    const child: Child = { spec, proc: null };
    p.sup.children.push(child);
    child.proc = this.spawn(spec, `${supPath}/${id}`, p, []);
    return child.proc.path;
  }

  /** Advance the model's clock (seconds), for the intensity window. */
  advance(seconds: number): void {
    this.now += seconds;
  }

  /** A running worker ends abnormally (`crash`) or with reason normal (`exit`). */
  apply(ev: { kind: 'crash' | 'exit'; path: string }): Effects {
    const eff: Effects = {
      terminated: [],
      started: [],
      gaveUp: [],
      removed: [],
      notRestarted: [],
      gaveUpReason: {},
    };
    const proc = this.find(ev.path);
    if (proc?.spec.kind !== 'worker' || !proc.parent?.sup)
      throw new Error(`${ev.path} is not a running worker`);
    const sup = proc.parent;
    const child = sup.sup!.children.find((c) => c.proc === proc)!;
    child.proc = null;
    eff.terminated.push(proc.path);
    this.childExited(sup, child, ev.kind === 'crash' ? 'abnormal' : 'normal', eff);
    return eff;
  }

  /** Every running process (supervisors and workers), by path. */
  running(): Set<string> {
    const out = new Set<string>();
    const walk = (p: Proc): void => {
      out.add(p.path);
      for (const c of p.sup?.children ?? []) if (c.proc) walk(c.proc);
    };
    if (this.top) walk(this.top);
    return out;
  }

  /** Running workers, sorted by path. */
  liveWorkers(): string[] {
    return [...this.running()].filter((p) => this.find(p)?.spec.kind === 'worker').sort();
  }

  /** Running supervisors, sorted by path. */
  liveSupervisors(): string[] {
    return [...this.running()].filter((p) => this.find(p)?.spec.kind === 'supervisor').sort();
  }

  isSimple(supPath: string): boolean {
    return this.find(supPath)?.sup?.spec.strategy === 'simple_one_for_one';
  }

  /**
   * The child specs a running supervisor keeps, in start order, and whether each has a
   * process. [SUP] which_children: "information about all child specifications and child
   * processes"; a spec without a process shows as terminated. A simple_one_for_one
   * supervisor has no per-child specs: only its running dynamic children are listed.
   */
  children(supPath: string): ChildView[] {
    const p = this.find(supPath);
    if (!p?.sup) throw new Error(`${supPath} is not a running supervisor`);
    return p.sup.children.map((c) => ({
      id: c.spec.id,
      status: c.proc ? 'running' : 'terminated',
    }));
  }

  // ---- the rules ---------------------------------------------------------------------------

  private find(path: string): Proc | undefined {
    if (!this.top) return undefined;
    const segs = path.split('/');
    if (segs[0] !== this.top.path) return undefined;
    let p: Proc = this.top;
    for (const seg of segs.slice(1)) {
      const c = p.sup?.children.find((x) => x.spec.id === seg && x.proc !== null);
      if (!c?.proc) return undefined;
      p = c.proc;
    }
    return p;
  }

  /**
   * Starts a process for `spec`. A supervisor starts its children itself, in order.
   * [SUP] "When the supervisor is started, the child processes are started in order from left
   * to right according to this list." A supervisor always starts with a fresh restart history
   * and its static specs: [DP] "if a supervisor dies and is recreated, then all child processes
   * that were dynamically added to the supervisor are lost", and "the effects of deleting a
   * static child process are lost if the supervisor itself restarts".
   */
  private spawn(spec: ChildSpec, path: string, parent: Proc | null, started: string[]): Proc {
    started.push(path);
    if (spec.kind === 'worker') return { path, spec, parent, sup: null };
    const sup: SupState = { spec, restarts: [], children: [] };
    const proc: Proc = { path, spec, parent, sup };
    // [DP] simple_one_for_one: "When started, the supervisor does not start any child processes."
    if (spec.strategy !== 'simple_one_for_one') {
      for (const c of spec.children) {
        const child: Child = { spec: c, proc: null };
        sup.children.push(child);
        child.proc = this.spawn(c, `${path}/${c.id}`, proc, started);
      }
    }
    return proc;
  }

  private startChild(sup: Proc, child: Child, eff: Effects): void {
    child.proc = this.spawn(child.spec, `${sup.path}/${child.spec.id}`, sup, eff.started);
  }

  private removeChild(sup: Proc, child: Child, eff: Effects): void {
    const list = sup.sup!.children;
    const i = list.indexOf(child);
    if (i >= 0) {
      list.splice(i, 1);
      eff.removed.push(`${sup.path}/${child.spec.id}`);
    }
  }

  /** A child of `sup` has ended with `reason`; the supervisor reacts. */
  private childExited(sup: Proc, child: Child, reason: ExitReason, eff: Effects): void {
    const st = sup.sup!;
    const path = `${sup.path}/${child.spec.id}`;
    if (!restartWanted(child.spec.restart, reason)) {
      // The strategies act only on a child that "terminates and should be restarted" [SUP];
      // one that should not be restarted leaves its siblings alone.
      // [SUP] terminate_child/2: "If the child is temporary, the child specification is
      // deleted as soon as the process terminates." A simple_one_for_one supervisor keeps no
      // spec per child ("all child processes are dynamically added instances" [DP]): a dynamic
      // child that is not restarted is gone.
      if (child.spec.restart === 'temporary' || st.spec.strategy === 'simple_one_for_one')
        this.removeChild(sup, child, eff);
      else eff.notRestarted.push(path);
      return;
    }
    // [SUP] "if more than MaxR restarts occur within MaxT seconds, the supervisor will
    // terminate all child processes and then itself." Each restart the supervisor would do
    // counts, so with MaxR = 0 the first one already exceeds it.
    st.restarts = st.restarts.filter((t) => this.now - t < st.spec.period);
    st.restarts.push(this.now);
    if (st.restarts.length > st.spec.intensity) {
      this.giveUp(sup, eff);
      return;
    }
    switch (st.spec.strategy) {
      // [SUP] one_for_one: "if one child process terminates and should be restarted, only
      // that child process is affected"; simple_one_for_one is "a simplified one_for_one".
      case 'one_for_one':
      case 'simple_one_for_one':
        this.startChild(sup, child, eff);
        return;
      // [SUP] one_for_all: "all other child processes are terminated and then all child
      // processes are restarted". Other children go in reverse start order ([DP] children
      // "are terminated in the reversed order"); a temporary one is terminated and "never
      // restarted (even when ... a sibling's death causes the temporary process to be
      // terminated)", and its spec is deleted. A kept spec without a process (a transient
      // child that ended normally earlier) is one of "all child processes" and is started too.
      case 'one_for_all': {
        const others = st.children.filter((c) => c !== child);
        this.terminateInReverse(sup, others, eff);
        for (const c of [...st.children]) this.startChild(sup, c, eff);
        return;
      }
      // [SUP] rest_for_one: "the child processes after the terminated child process in the
      // start order -- are terminated. Then the terminated child process and all child
      // processes after it are restarted." Same temporary rule as above.
      case 'rest_for_one': {
        const i = st.children.indexOf(child);
        const rest = st.children.slice(i + 1);
        this.terminateInReverse(sup, rest, eff);
        for (const c of st.children.slice(i)) this.startChild(sup, c, eff);
        return;
      }
    }
  }

  /** `sup` terminates `children` (a sublist of its own), last started first. */
  private terminateInReverse(sup: Proc, children: Child[], eff: Effects): void {
    for (const c of [...children].reverse()) {
      if (c.proc) this.terminate(c.proc, eff);
      c.proc = null;
      if (c.spec.restart === 'temporary') this.removeChild(sup, c, eff);
    }
  }

  /**
   * A supervisor terminates one child process. If the child is a supervisor, it first
   * terminates its own children: [SUP] "When the supervisor terminates, it first terminates
   * its child processes in reversed start order, from right to left." A simple_one_for_one
   * supervisor "shuts them all down asynchronously ... the order in which they are stopped is
   * not defined".
   */
  private terminate(p: Proc, eff: Effects): void {
    if (p.sup) this.terminateAllChildren(p, eff);
    eff.terminated.push(p.path);
  }

  private terminateAllChildren(p: Proc, eff: Effects): void {
    const st = p.sup!;
    if (st.spec.strategy === 'simple_one_for_one') {
      const live = st.children.filter((c) => c.proc).map((c) => c.proc!.path);
      if (live.length > 0) eff.terminated.push(live);
    } else {
      for (const c of [...st.children].reverse()) if (c.proc) this.terminate(c.proc, eff);
    }
    for (const c of st.children) c.proc = null;
  }

  /**
   * [DP] Maximum Restart Intensity: "the supervisor terminates all the child processes and
   * then itself. The termination reason for the supervisor itself in that case will be
   * shutdown. When the supervisor terminates, then the next higher-level supervisor takes some
   * action. It either restarts the terminated supervisor or terminates itself." The parent
   * applies the restart type to reason `shutdown`: a permanent supervisor is restarted (which
   * counts against the parent's own intensity), a transient one is not (shutdown is not an
   * abnormal exit), a temporary one is not and its spec is deleted.
   */
  private giveUp(sup: Proc, eff: Effects): void {
    eff.gaveUp.push(sup.path);
    eff.gaveUpReason[sup.path] = 'shutdown';
    this.terminate(sup, eff);
    const parent = sup.parent;
    if (parent === null) {
      this.top = null;
      return;
    }
    const child = parent.sup!.children.find((c) => c.proc === sup)!;
    child.proc = null;
    this.childExited(parent, child, 'shutdown', eff);
  }
}

/** The number of processes in a spec tree when first started (no dynamic children). */
export function treeSize(spec: ChildSpec): number {
  if (spec.kind === 'worker') return 1;
  if (spec.strategy === 'simple_one_for_one') return 1;
  return 1 + spec.children.reduce((n, c) => n + treeSize(c), 0);
}
