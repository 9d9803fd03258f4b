/** Generation defaults and limits alone (`@sdedge/pipeline/defaults`, no ONNX Runtime). */
export { GENERATION_BOUNDS, GENERATION_DEFAULTS } from './pipelines/generation-defaults.ts';
