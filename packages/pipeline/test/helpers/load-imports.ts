export {
  loadPipeline as loadPipelineWithRuntime,
  memoryModelFiles,
  type OrtRuntime,
  TorchGenerator,
} from '../../src/index.ts';
export { loadPipeline } from '../../src/node.ts';
