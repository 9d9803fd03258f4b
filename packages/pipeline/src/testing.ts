/**
 * `@sdedge/pipeline/testing`: what tests, benchmarks and CI use and products do not. The ONNX
 * graph builder and the tiny real-architecture models made with it, the scene analysis that
 * reads back what sdedge-micro drew, and Mesa's lavapipe for WebGPU without a GPU. Node only.
 */
export { analyzeScene, type SceneVocabulary, sceneCaption } from './eval/scene-analysis.ts';
export {
  type AutoencoderKLConfig,
  buildVaeDecoder,
  buildVaeEncoder,
} from './onnx-builder/autoencoder-kl.ts';
export { buildClipTextModel, type ClipTextConfig } from './onnx-builder/clip-text-model.ts';
export { externalizeWeights } from './onnx-builder/external-data.ts';
export {
  buildUNet2DCondition,
  type UNet2DConditionConfig,
} from './onnx-builder/unet-2d-condition.ts';
export {
  buildTinyModel,
  TINY_VARIANTS,
  type TinyModelOptions,
  type TinyVariant,
} from './tiny-model/tiny-model.ts';
export {
  lavapipeDir,
  lavapipeEnvironment,
  rerunWithLavapipe,
} from './webgpu/lavapipe-environment.ts';
