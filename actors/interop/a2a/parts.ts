import { randomUUID } from 'node:crypto';
import { type Message, type Part, Role } from '@a2a-js/sdk';
import { InvalidArgument } from '../../../runtime/index.ts';
import type { ServedAgent, Skill } from '../served-agent.ts';

export function textPart(text: string): Part {
  return {
    content: { $case: 'text', value: text },
    metadata: undefined,
    filename: '',
    mediaType: 'text/plain',
  };
}

export function dataPart(value: unknown): Part {
  return {
    content: { $case: 'data', value },
    metadata: undefined,
    filename: '',
    mediaType: 'application/json',
  };
}

/** A reply as parts: text stays text, anything else is one JSON data part. */
export function partsOf(value: unknown): Part[] {
  return typeof value === 'string' ? [textPart(value)] : [dataPart(value ?? null)];
}

/** Where a message belongs (empty ids: a new task) and what it carries besides its parts. */
export interface MessageContext {
  readonly taskId?: string;
  readonly contextId?: string;
  readonly metadata?: Record<string, unknown>;
}

function message(role: Role, parts: Part[], context: MessageContext): Message {
  return {
    messageId: randomUUID(),
    contextId: context.contextId ?? '',
    taskId: context.taskId ?? '',
    role,
    parts,
    metadata: context.metadata,
    extensions: [],
    referenceTaskIds: [],
  };
}

export function agentMessage(taskId: string, contextId: string, parts: Part[]): Message {
  return message(Role.ROLE_AGENT, parts, { taskId, contextId });
}

/** What a client says: text as a text part, any other value as one JSON data part. */
export function userMessage(input: unknown, context: MessageContext = {}): Message {
  return message(
    Role.ROLE_USER,
    [typeof input === 'string' ? textPart(input) : dataPart(input)],
    context,
  );
}

/** Text parts joined, or the value of the first data part; null when there is neither. */
export function partsValue(parts: readonly Part[]): unknown {
  const data = parts.find((p) => p.content?.$case === 'data');
  if (data?.content?.$case === 'data') return data.content.value;
  const texts = parts.flatMap((p) => (p.content?.$case === 'text' ? [p.content.value] : []));
  return texts.length > 0 ? texts.join('\n') : null;
}

/**
 * Which skill a message addresses and what request it makes. `metadata.skill` names the ask
 * (default: the first skill, `run` when there is one). For `run` the message's value is the
 * `input`; for another ask it is the whole request (a data part, or text holding JSON).
 */
export function requestOf(agent: ServedAgent, msg: Message): { skill: Skill; request: unknown } {
  const named = msg.metadata?.skill;
  const skill = typeof named === 'string' ? agent.skill(named) : agent.skills[0];
  if (!skill) throw new InvalidArgument(`${agent.name} has no skill ${JSON.stringify(named)}`);
  const value = partsValue(msg.parts);
  if (value === null) throw new InvalidArgument('the message has no text or data part');
  if (skill.isRun) return { skill, request: { input: value } };
  if (typeof value === 'string') {
    try {
      return { skill, request: JSON.parse(value) };
    } catch {
      return { skill, request: value };
    }
  }
  return { skill, request: value };
}
