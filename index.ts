// troupe's public API: the only module examples and users import.
export * from './runtime/index.ts';
