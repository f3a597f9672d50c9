import { z } from 'zod';
import { InvalidArgument } from '../../../runtime/index.ts';
import type { ServedAgent, Skill } from '../served-agent.ts';

type JsonSchema = {
  type?: unknown;
  properties?: Record<string, unknown>;
  required?: string[];
} & Record<string, unknown>;

/** One ask as an MCP tool: name, JSON Schemas, and how arguments and replies are wrapped. */
export interface McpToolDef {
  readonly name: string;
  readonly description: string;
  readonly inputSchema: JsonSchema;
  readonly outputSchema: JsonSchema;
  readonly agent: ServedAgent;
  readonly skill: Skill;
  /** The ask's request is not an object: arguments carry it as `{ request }`. */
  readonly wrapsInput: boolean;
  /** The ask's reply is not an object: structured content carries it as `{ result }`. */
  readonly wrapsOutput: boolean;
}

const NAME_BAD = /[^A-Za-z0-9_-]/g;

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  // Draft 7: what MCP clients' validators (ajv's default) understand.
  const s = z.toJSONSchema(schema, { io, target: 'draft-7', unrepresentable: 'any' }) as JsonSchema;
  delete s.$schema;
  return s;
}

/** Tools of every served agent; `run` is named for the agent, other asks `<agent>_<ask>`. */
export function mcpToolDefs(agents: readonly ServedAgent[]): McpToolDef[] {
  const out: McpToolDef[] = [];
  const seen = new Set<string>();
  for (const agent of agents) {
    const base = agent.name.replace(NAME_BAD, '_').slice(0, 48);
    for (const skill of agent.skills) {
      const name =
        skill.ask === 'run' ? base : `${base}_${skill.ask.replace(NAME_BAD, '_')}`.slice(0, 64);
      if (seen.has(name)) throw new InvalidArgument(`two MCP tools would be named ${name}`);
      seen.add(name);
      let input = jsonSchema(skill.request, 'input');
      const wrapsInput = input.type !== 'object';
      if (wrapsInput)
        input = { type: 'object', properties: { request: input }, required: ['request'] };
      if (input.properties && 'interop' in input.properties) {
        // Servers fill `interop` in; callers never send it.
        const { interop: _, ...props } = input.properties;
        input = {
          ...input,
          properties: props,
          required: input.required?.filter((k) => k !== 'interop'),
        };
      }
      let output = jsonSchema(skill.reply, 'output');
      const wrapsOutput = output.type !== 'object';
      if (wrapsOutput)
        output = { type: 'object', properties: { result: output }, required: ['result'] };
      out.push({
        name,
        description: skill.description,
        inputSchema: input,
        outputSchema: output,
        agent,
        skill,
        wrapsInput,
        wrapsOutput,
      });
    }
  }
  return out;
}
