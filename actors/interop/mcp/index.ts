export { StdioChildTransport, type StdioCommand } from './child-transport.ts';
export {
  type McpCallResult,
  McpConnection,
  McpServerSpec,
  type McpToolInfo,
  mcpServerChild,
} from './mcp-connection.ts';
export {
  type McpConnectionRef,
  McpToolError,
  type McpToolsOptions,
  mcpTools,
} from './mcp-tools.ts';
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
