// troupe's public API: the only module examples and users import.

export { defineTroupe, type TroupeModule } from './deploy/troupe-module.ts';
export * from './runtime/index.ts';
