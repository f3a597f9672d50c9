import { TroupeError } from '../../runtime/index.ts';

/**
 * An approval gate or a question back to the caller: the run cannot go on without more
 * input. A run answers its ask with it (through `ctx.deferReply().fail(new InputRequired(…))`,
 * so the actor does not crash); A2A shows the task as `input-required`, MCP as an error result
 * naming the prompt. It crosses NATS as itself: the code `InputRequired` and the detail travel.
 */
export class InputRequired extends TroupeError {
  readonly code = 'InputRequired';
  constructor(
    readonly prompt: string,
    readonly data?: unknown,
  ) {
    super(`input required: ${prompt}`);
  }
  override get detail(): unknown {
    return { prompt: this.prompt, data: this.data };
  }
}

/** The prompt of an InputRequired, whether it is the class itself or came over the wire. */
export function inputRequiredOf(err: unknown): { prompt: string; data?: unknown } | null {
  if (err instanceof InputRequired) return { prompt: err.prompt, data: err.data };
  if (typeof err !== 'object' || err === null) return null;
  if ((err as { code?: unknown }).code !== 'InputRequired') return null;
  const d = (err as { detail?: unknown }).detail as
    | { prompt?: unknown; data?: unknown }
    | undefined;
  const prompt = typeof d?.prompt === 'string' ? d.prompt : (err as Error).message;
  return d?.data === undefined ? { prompt } : { prompt, data: d.data };
}
