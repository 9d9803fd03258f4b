/**
 * Deforum settings alone, without the pipeline: what the API needs to check and price an
 * animation exactly as a runner will run it (`@sdedge/pipeline/deforum`, no ONNX Runtime).
 */
export { animationSteps } from './animation/animation-steps.ts';
export {
  type AnimationSettings,
  type KeyframePrompt,
  type LoadedSettings,
  loadDeforumSettings,
} from './animation/deforum-settings.ts';
export { SdedgeError } from './errors.ts';
