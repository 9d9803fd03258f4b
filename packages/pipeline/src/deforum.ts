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
// The sampler names a settings file may use; the API checks image jobs' `sampler` with them too.
export {
  SCHEDULER_NAMES,
  type SchedulerName,
  samplerByName,
} from './schedulers/create-scheduler.ts';
