#!/usr/bin/env node
// The sdedge CLI, from the compiled package (npm ci and npm test build dist/).
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
