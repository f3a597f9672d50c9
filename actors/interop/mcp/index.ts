export {
  type McpHttpOptions,
  type McpHttpServing,
  type McpServeOptions,
  type McpServing,
  mcpServer,
  serveMcpHttp,
  serveMcpOn,
  serveMcpStdio,
} from './server.ts';
export { type McpToolDef, mcpToolDefs } from './tool-defs.ts';
