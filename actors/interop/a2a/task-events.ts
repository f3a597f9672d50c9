// The events an A2A executor publishes for one task: submitted, each state it moves to, and the
// reply as the `output` artifact. troupe's executor publishes them, and so does the plain SDK
// peer the tests and benchmarks set beside it (the two must do the same work); the SDK's
// generated types want every field spelled out, so they are spelled here once.
import { type Message, type Part, type Task, TaskState, type TaskStatus } from '@a2a-js/sdk';
import { AgentEvent, type AgentExecutionEvent } from '@a2a-js/sdk/server';
import { agentMessage, partsOf } from './parts.ts';

/** A task status as of now, with no message. */
export function taskStatus(state: TaskState): TaskStatus {
  return { state, message: undefined, timestamp: new Date().toISOString() };
}

/** A new task, submitted, holding the message that opened it. */
export function submittedTask(taskId: string, contextId: string, first: Message): Task {
  return {
    id: taskId,
    contextId,
    status: taskStatus(TaskState.TASK_STATE_SUBMITTED),
    artifacts: [],
    history: [first],
    metadata: undefined,
  };
}

/** The task moved to `state`; `parts`, when there are any, go with it as an agent message. */
export function statusEvent(
  taskId: string,
  contextId: string,
  state: TaskState,
  parts: Part[] = [],
): AgentExecutionEvent {
  return AgentEvent.statusUpdate({
    taskId,
    contextId,
    status: {
      ...taskStatus(state),
      message: parts.length > 0 ? agentMessage(taskId, contextId, parts) : undefined,
    },
    metadata: undefined,
  });
}

/** The run's reply as the task's one artifact, `output`. */
export function outputEvent(
  taskId: string,
  contextId: string,
  description: string,
  reply: unknown,
): AgentExecutionEvent {
  return AgentEvent.artifactUpdate({
    taskId,
    contextId,
    artifact: {
      artifactId: 'output',
      name: 'output',
      description,
      parts: partsOf(reply),
      metadata: undefined,
      extensions: [],
    },
    append: false,
    lastChunk: true,
    metadata: undefined,
  });
}
