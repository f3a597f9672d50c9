import type { AgentCard, AgentSkill, SecurityRequirement, SecurityScheme } from '@a2a-js/sdk';
import { z } from 'zod';
import type { ServedAgent, Skill } from '../served-agent.ts';
import type { A2AAuth } from './auth.ts';

/** Modes of a skill: text for string schemas, JSON for the rest, both when it takes either. */
function modesOf(schema: z.ZodType): string[] {
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' });
  } catch {
    return ['text/plain', 'application/json'];
  }
  const t = (json as { type?: unknown }).type;
  if (t === 'string') return ['text/plain'];
  if (t === undefined) return ['text/plain', 'application/json'];
  return ['application/json'];
}

function inputSchemaOf(skill: Skill): z.ZodType {
  if (!skill.isRun || !(skill.request instanceof z.ZodObject)) return skill.request;
  return (skill.request.shape as Record<string, z.ZodType>).input ?? skill.request;
}

function skillCard(agent: ServedAgent, skill: Skill, security: SecurityRequirement[]): AgentSkill {
  return {
    id: skill.ask,
    name: skill.ask === 'run' ? agent.name : `${agent.name}.${skill.ask}`,
    description: skill.description,
    tags: ['troupe', skill.ask],
    examples: [],
    inputModes: modesOf(inputSchemaOf(skill)),
    outputModes: modesOf(skill.reply),
    securityRequirements: security,
  };
}

/**
 * The agent card: name, description and version from the served target; one skill per ask
 * (input and output modes from its schemas); streaming on; the JSON-RPC interface at `url`
 * for protocol 1.0 and, through the SDK's compat layer, 0.3; the security schemes that
 * `auth` enables (any one of them is enough).
 */
export function agentCard(
  agent: ServedAgent,
  url: string,
  auth: A2AAuth | undefined,
  binding = 'JSONRPC',
): AgentCard {
  const securitySchemes: Record<string, SecurityScheme> = {};
  const securityRequirements: SecurityRequirement[] = [];
  if (auth?.bearer) {
    securitySchemes.bearer = {
      scheme: {
        $case: 'httpAuthSecurityScheme',
        value: { description: 'Bearer token', scheme: 'Bearer', bearerFormat: '' },
      },
    };
    securityRequirements.push({ schemes: { bearer: { list: [] } } });
  }
  if (auth?.apiKey) {
    securitySchemes.apiKey = {
      scheme: {
        $case: 'apiKeySecurityScheme',
        value: { description: 'API key', location: 'header', name: auth.apiKey.header },
      },
    };
    securityRequirements.push({ schemes: { apiKey: { list: [] } } });
  }
  const first = agent.skills[0];
  return {
    name: agent.name,
    description: agent.description,
    supportedInterfaces:
      binding === 'JSONRPC'
        ? [
            { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '1.0' },
            { url, protocolBinding: 'JSONRPC', tenant: '', protocolVersion: '0.3' },
          ]
        : [{ url, protocolBinding: binding, tenant: '', protocolVersion: '1.0' }],
    provider: { organization: 'troupe', url: 'https://github.com/troupe' },
    version: agent.version,
    capabilities: {
      streaming: true,
      pushNotifications: false,
      extensions: [],
      extendedAgentCard: false,
    },
    securitySchemes,
    securityRequirements,
    defaultInputModes: first ? modesOf(inputSchemaOf(first)) : ['text/plain'],
    defaultOutputModes: first ? modesOf(first.reply) : ['text/plain'],
    skills: agent.skills.map((s) => skillCard(agent, s, securityRequirements)),
    signatures: [],
  };
}
