import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AgentCard, TaskState } from '@a2a-js/sdk';
import {
  AgentEvent,
  type AgentExecutor,
  DefaultRequestHandler,
  type ExecutionEventBus,
  InMemoryTaskStore,
  type RequestContext,
} from '@a2a-js/sdk/server';
import { agentCardHandler, jsonRpcHandler, UserBuilder } from '@a2a-js/sdk/server/express';
import express from 'express';
import { partsValue, textPart } from '../../actors/interop/a2a/parts.ts';
import { outputEvent, statusEvent, submittedTask } from '../../actors/interop/a2a/task-events.ts';

/**
 * A plain executor on the SDK's interfaces, not on troupe's actors. It publishes the events
 * troupe's executor publishes (task, working, artifact, completed), built by the same functions
 * (task-events.ts), so the two servers do the same work.
 * Scripted inputs: `slow` runs until canceled, `ask` needs input, `fail` fails, else echo.
 */
export class EchoExecutor implements AgentExecutor {
  readonly canceled: string[] = [];
  private readonly waiting = new Map<string, () => void>();

  async execute(rc: RequestContext, bus: ExecutionEventBus): Promise<void> {
    const { taskId, contextId } = rc;
    const status = (state: TaskState, text?: string) =>
      bus.publish(statusEvent(taskId, contextId, state, text ? [textPart(text)] : []));
    bus.publish(AgentEvent.task(submittedTask(taskId, contextId, rc.userMessage)));
    status(TaskState.TASK_STATE_WORKING);
    const input = partsValue(rc.userMessage.parts);
    if (input === 'slow') {
      await new Promise<void>((r) => this.waiting.set(taskId, r));
      bus.finished();
      return;
    }
    if (input === 'ask') status(TaskState.TASK_STATE_INPUT_REQUIRED, 'which environment?');
    else if (input === 'fail') status(TaskState.TASK_STATE_FAILED, 'peer failed on purpose');
    else {
      bus.publish(
        outputEvent(taskId, contextId, '', typeof input === 'string' ? `echo: ${input}` : input),
      );
      status(TaskState.TASK_STATE_COMPLETED);
    }
    bus.finished();
  }

  async cancelTask(taskId: string, bus: ExecutionEventBus): Promise<void> {
    this.canceled.push(taskId);
    bus.publish(statusEvent(taskId, '', TaskState.TASK_STATE_CANCELED));
    this.waiting.get(taskId)?.();
    this.waiting.delete(taskId);
  }
}

/** The SDK peer over HTTP on loopback, as the SDK's README wires it (express, JSON-RPC). */
export async function startSdkA2A(
  executor: EchoExecutor = new EchoExecutor(),
): Promise<{ url: string; executor: EchoExecutor; close: () => Promise<void> }> {
  const app = express();
  const server: Server = await new Promise((r) => {
    const s = app.listen(0, '127.0.0.1', () => r(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const card: AgentCard = {
    name: 'sdk-peer',
    description: 'A plain @a2a-js/sdk agent',
    supportedInterfaces: [{ url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' }],
    provider: undefined,
    version: '1.0.0',
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extensions: [],
      extendedAgentCard: false,
    },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ['text/plain'],
    defaultOutputModes: ['text/plain'],
    skills: [
      {
        id: 'echo',
        name: 'echo',
        description: 'Echo',
        tags: [],
        examples: [],
        inputModes: ['text/plain'],
        outputModes: ['text/plain'],
        securityRequirements: [],
      },
    ],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  app.use('/.well-known/agent-card.json', agentCardHandler({ agentCardProvider: handler }));
  app.use(
    '/',
    jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }),
  );
  return {
    url,
    executor,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
