#!/usr/bin/env node
// The sdedge GPU runner, from the compiled package (npm ci and npm test build dist/).
import { main } from '../dist/main.js';

process.exitCode = await main();
