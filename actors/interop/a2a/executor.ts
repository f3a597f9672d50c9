import { type Task, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  type ExecutionEventBus,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { inputRequiredOf } from '../input-required.ts';
import type { ServedAgent } from '../served-agent.ts';
import { dataPart, requestOf, textPart } from './parts.ts';
import { outputEvent, statusEvent, submittedTask, taskStatus } from './task-events.ts';

/**
 * Runs A2A tasks on a troupe actor: each message becomes one ask. Task states follow the
 * run: `working` while the ask is in flight (with progress reports as status messages),
 * `completed` with the reply as the `output` artifact, `input-required` when the run answers
 * InputRequired (a follow-up message on the same task runs again with the new input),
 * `failed` with the error, `canceled` when a client cancels (the wait ends and the actor is
 * told `cancel { runId }` when it declares that tell).
 */
export class ActorExecutor implements AgentExecutor {
  private readonly running = new Map<string, { ac: AbortController; contextId: string }>();

  constructor(private readonly agent: ServedAgent) {}

  async execute(rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = rc;
    const msg = rc.userMessage;
    const status = (state: TaskState, text?: string, data?: unknown): void => {
      const parts = text === undefined ? [] : [textPart(text)];
      if (data !== undefined) parts.push(dataPart(data));
      bus.publish(statusEvent(taskId, contextId, state, parts));
    };
    const task: Task = rc.task
      ? { ...rc.task, status: taskStatus(TaskState.TASK_STATE_WORKING) }
      : submittedTask(taskId, contextId, msg);
    bus.publish(AgentEvent.task(task));
    const ac = new AbortController();
    this.running.set(taskId, { ac, contextId });
    try {
      const { skill, request } = requestOf(this.agent, msg);
      status(TaskState.TASK_STATE_WORKING);
      const out = await this.agent.call(skill, request, {
        runId: taskId,
        signal: ac.signal,
        onProgress: (p) => {
          if (!ac.signal.aborted) status(TaskState.TASK_STATE_WORKING, p.message, progressData(p));
        },
      });
      if (ac.signal.aborted) return;
      bus.publish(outputEvent(taskId, contextId, `reply of ${skill.ask}`, out));
      status(TaskState.TASK_STATE_COMPLETED);
    } catch (err) {
      if (ac.signal.aborted) return;
      const gate = inputRequiredOf(err);
      if (gate) status(TaskState.TASK_STATE_INPUT_REQUIRED, gate.prompt, gate.data);
      else
        status(TaskState.TASK_STATE_FAILED, (err as Error)?.message ?? String(err), errorData(err));
    } finally {
      this.running.delete(taskId);
      bus.finished();
    }
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    const run = this.running.get(taskId);
    if (!run) return;
    run.ac.abort();
    bus.publish(statusEvent(taskId, run.contextId, TaskState.TASK_STATE_CANCELED));
  }

  /** Tasks whose run is still in flight. */
  get inFlight(): number {
    return this.running.size;
  }
}

function progressData(p: { progress?: number; total?: number }): unknown {
  return p.progress === undefined ? undefined : { progress: p.progress, total: p.total ?? null };
}

function errorData(err: unknown): unknown {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? { code } : undefined;
}
