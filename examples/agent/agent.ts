// An agent with one tool. Offline, on a scripted model: `npm run agent`, or
//   troupe run examples/agent/agent.ts --input 'What time is it?'
// On a real model, the same file: TROUPE_MODEL_URL=http://127.0.0.1:11434/v1 TROUPE_MODEL=llama3.2
// (Ollama; any OpenAI-compatible server, with OPENAI_API_KEY where it needs one).
import { defineAgent, openAICompatible, scriptedModel, tool } from 'troupe';
import { z } from 'zod';

const clock = tool({
  name: 'clock',
  description: 'The current UTC time, ISO 8601',
  input: z.object({}),
  run: () => new Date().toISOString(),
});

const offline = scriptedModel(
  [
    { toolCalls: [{ name: 'clock', args: {} }] },
    (req) => JSON.stringify({ answer: `It is ${req.messages.at(-1)?.content} (UTC).` }),
  ],
  { loop: true },
);

export default defineAgent({
  type: 'timekeeper',
  model: process.env.TROUPE_MODEL_URL
    ? openAICompatible({ model: process.env.TROUPE_MODEL ?? 'llama3.2' })
    : offline,
  instructions: 'Answer questions about the time. Use the clock tool; never guess.',
  tools: [clock],
  output: z.object({ answer: z.string() }),
  budget: { modelCalls: 6, toolCalls: 4, wallMs: 60_000 },
});
