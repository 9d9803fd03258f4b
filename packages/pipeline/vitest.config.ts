import { defineConfig } from 'vitest/config';
import { lavapipeEnvironment } from './src/webgpu/lavapipe-environment.ts';

// The WebGPU tests use Mesa's lavapipe where scripts/setup-lavapipe.sh unpacked it and the
// machine has no Vulkan driver: set its environment here, before the test workers start.
Object.assign(process.env, lavapipeEnvironment() ?? {});

// Model tests run real ONNX Runtime sessions: allow for a slow, shared CI machine.
export default defineConfig({ test: { testTimeout: 120_000, hookTimeout: 120_000 } });
