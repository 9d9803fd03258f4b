import { defineConfig } from 'vitest/config';

// Some tests load sdedge-micro with ONNX Runtime: allow for a slow, shared CI machine.
export default defineConfig({ test: { testTimeout: 60_000 } });
