#!/usr/bin/env node
// The sdedge CLI. The package ships TypeScript sources, so tsx loads them on the fly.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
