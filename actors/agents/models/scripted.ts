import { InvalidArgument } from '../../../runtime/index.ts';
import { ModelError } from '../errors.ts';
import type {
  ChatMessage,
  FinishReason,
  Model,
  ModelDelta,
  ModelRequest,
  ModelResponse,
  ToolCall,
  Usage,
} from '../model.ts';

/** One scripted answer: text, tool calls, or both. */
export interface ScriptedAnswer {
  readonly text?: string;
  /** `args` is serialized to JSON unless it is already a string (to script malformed JSON). */
  readonly toolCalls?: readonly {
    readonly name: string;
    readonly args: unknown;
    readonly id?: string;
  }[];
  readonly usage?: Partial<Usage>;
  readonly finishReason?: FinishReason;
}

/** A step: a final text, an answer, or a function of the request (for answers that depend on it). */
export type ScriptStep =
  | string
  | ScriptedAnswer
  | ((req: ModelRequest, call: number) => string | ScriptedAnswer);

export interface ScriptedModelOptions {
  readonly id?: string;
  /** Start over after the last step instead of failing (benchmarks, demos). */
  readonly loop?: boolean;
  /** Keep every request in `requests` (default true; benchmarks turn it off). */
  readonly record?: boolean;
}

export interface ScriptedModel extends Model {
  /** Requests received, in order (when recording). */
  readonly requests: ModelRequest[];
  /** Calls answered so far. */
  readonly calls: number;
}

/** Rough tokens of a text: about four characters each, as tokenizers average on English. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function messageChars(m: ChatMessage): number {
  let n = m.content.length;
  if (m.role === 'assistant')
    for (const c of m.toolCalls ?? []) n += c.name.length + c.arguments.length;
  return n;
}

/**
 * A model that answers from a script: the only fake troupe allows, for tests and offline
 * examples. It honours the request's signal and deadline like a real adapter.
 */
export function scriptedModel(
  steps: readonly ScriptStep[],
  opts: ScriptedModelOptions = {},
): ScriptedModel {
  if (!Array.isArray(steps)) throw new InvalidArgument('scriptedModel needs an array of steps');
  const id = opts.id ?? 'scripted';
  const record = opts.record ?? true;
  const requests: ModelRequest[] = [];
  let calls = 0;

  const answer = (req: ModelRequest): ModelResponse => {
    if (req.signal?.aborted) throw new ModelError('aborted', 'model request aborted');
    if (req.deadline !== undefined && req.deadline > 0 && Date.now() >= req.deadline) {
      throw new ModelError('aborted', 'model request aborted: deadline passed');
    }
    const n = calls;
    if (n >= steps.length && !(opts.loop && steps.length > 0)) {
      throw new ModelError(
        'exhausted',
        `scripted model ${id} has no step ${n + 1} (script has ${steps.length})`,
      );
    }
    calls++;
    // A copy: the caller may go on appending to the array it passed.
    if (record) requests.push({ ...req, messages: [...req.messages] });
    const step = steps[n % steps.length]!;
    const got = typeof step === 'function' ? step(req, n) : step;
    const a: ScriptedAnswer = typeof got === 'string' ? { text: got } : got;
    const toolCalls: ToolCall[] = (a.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `call_${n + 1}_${i + 1}`,
      name: c.name,
      arguments: typeof c.args === 'string' ? c.args : JSON.stringify(c.args ?? {}),
    }));
    const text = a.text ?? '';
    let inChars = 0;
    for (const m of req.messages) inChars += messageChars(m);
    let outChars = text.length;
    for (const c of toolCalls) outChars += c.name.length + c.arguments.length;
    return {
      message: { role: 'assistant', content: text, ...(toolCalls.length > 0 ? { toolCalls } : {}) },
      toolCalls,
      usage: {
        inputTokens: a.usage?.inputTokens ?? Math.ceil(inChars / 4),
        outputTokens: a.usage?.outputTokens ?? Math.ceil(outChars / 4),
      },
      finishReason: a.finishReason ?? (toolCalls.length > 0 ? 'tool_calls' : 'stop'),
      model: id,
    };
  };

  async function* stream(req: ModelRequest): AsyncGenerator<ModelDelta> {
    const r = answer(req);
    if (r.message.content) yield { type: 'text', text: r.message.content };
    for (let i = 0; i < r.toolCalls.length; i++) {
      const c = r.toolCalls[i]!;
      yield { type: 'toolCall', index: i, id: c.id, name: c.name, arguments: c.arguments };
    }
    yield { type: 'done', response: r };
  }

  return {
    id,
    requests,
    get calls() {
      return calls;
    },
    complete: async (req) => answer(req),
    stream,
  };
}
