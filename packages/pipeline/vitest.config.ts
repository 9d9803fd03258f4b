import { defineConfig } from 'vitest/config';

// Model tests run real ONNX Runtime sessions: allow for a slow, shared CI machine.
export default defineConfig({ test: { testTimeout: 60_000, hookTimeout: 60_000 } });
