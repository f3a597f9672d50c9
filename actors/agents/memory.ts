import { z } from 'zod';
import type { ChatMessage } from './model.ts';
import { estimateTokens } from './models/scripted.ts';
import { parseOptions } from './options.ts';

export const ChatMessageSchema: z.ZodType<ChatMessage> = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string() }),
  z.object({
    role: z.literal('assistant'),
    content: z.string(),
    toolCalls: z
      .array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }))
      .optional(),
  }),
  z.object({
    role: z.literal('tool'),
    callId: z.string(),
    name: z.string(),
    content: z.string(),
    isError: z.boolean().optional(),
  }),
]);

/** Summarize older turns into a text the agent keeps instead of them (often a model call). */
export type Summarize = (
  older: readonly ChatMessage[],
  previous: string | null,
) => string | Promise<string>;

export const MemoryOptionsSchema = z
  .object({
    /** Most messages kept (default 40); older whole turns are dropped. */
    maxMessages: z.number().int().min(2).max(100_000).default(40),
    /** Past this many (estimated) tokens, older turns are summarized, or dropped without `summarize`. */
    maxTokens: z.number().int().min(16).default(8000),
    summarize: z.custom<Summarize>((f) => typeof f === 'function', 'a function').optional(),
  })
  .strict();
export type MemoryOptions = z.input<typeof MemoryOptionsSchema>;
export type ResolvedMemory = z.output<typeof MemoryOptionsSchema>;

export function parseMemory(m: unknown): ResolvedMemory | null {
  if (m === undefined || m === false) return null;
  return parseOptions(MemoryOptionsSchema, m === true ? {} : m, 'agent memory');
}

/** A conversation remembered between runs; part of the agent's state, so snapshots carry it. */
export interface Memory {
  readonly summary: string | null;
  readonly messages: readonly ChatMessage[];
}

export const MemorySchema = z.object({
  summary: z.string().nullable(),
  messages: z.array(ChatMessageSchema),
});

function tokensOf(ms: readonly ChatMessage[], from = 0): number {
  let n = 0;
  for (let i = from; i < ms.length; i++) {
    const m = ms[i]!;
    n += estimateTokens(m.content) + 4;
    if (m.role === 'assistant')
      for (const c of m.toolCalls ?? []) n += estimateTokens(c.arguments) + 8;
  }
  return n;
}

/**
 * Where older messages may be cut: only before a user message, so a tool result never loses
 * the assistant turn that asked for it. The latest cut keeping `fits(from)` true, or the last
 * user message when none does.
 */
function cutPoint(ms: readonly ChatMessage[], fits: (from: number) => boolean): number {
  let last = 0;
  for (let i = 0; i < ms.length; i++) {
    if (ms[i]!.role !== 'user') continue;
    if (fits(i)) return i;
    last = i;
  }
  return last;
}

/**
 * Add a run's messages and keep memory bounded: past `maxTokens`, older turns go into the
 * summary (or are dropped without `summarize`); then at most `maxMessages` remain.
 */
export async function remember(
  mem: Memory,
  fresh: readonly ChatMessage[],
  o: ResolvedMemory,
): Promise<{ memory: Memory; summarized: number; dropped: number }> {
  let messages = [...mem.messages, ...fresh];
  let summary = mem.summary;
  let summarized = 0;
  let dropped = 0;
  if (tokensOf(messages) > o.maxTokens) {
    const target = o.summarize ? Math.floor(o.maxTokens / 2) : o.maxTokens;
    const cut = cutPoint(messages, (from) => tokensOf(messages, from) <= target);
    if (cut > 0) {
      const older = messages.slice(0, cut);
      if (o.summarize) {
        summary = await o.summarize(older, summary);
        summarized = older.length;
      } else dropped = older.length;
      messages = messages.slice(cut);
    }
  }
  if (messages.length > o.maxMessages) {
    const cut = cutPoint(messages, (from) => messages.length - from <= o.maxMessages);
    dropped += cut;
    messages = messages.slice(cut);
  }
  return { memory: { summary, messages }, summarized, dropped };
}
