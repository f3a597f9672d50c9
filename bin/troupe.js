#!/usr/bin/env node
// The troupe CLI. tsx lets the CLI and the user's own modules be TypeScript without a build step.
import { register } from 'tsx/esm/api';

register();
await import('../deploy/cli.ts');
