// Agents parse their options with the runtime's one parseOptions (`${what}: ${path}: ${message}`).
export { parseOptions } from '../../runtime/index.ts';
