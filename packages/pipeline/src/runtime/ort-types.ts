import type { InferenceSession, Tensor } from 'onnxruntime-common';

/**
 * The part of ONNX Runtime the pipeline uses, injected by the caller: onnxruntime-node in the
 * runner, onnxruntime-web in browsers. Both export these from onnxruntime-common.
 */
export interface OrtRuntime {
  InferenceSession: {
    create(
      model: string | Uint8Array,
      options?: InferenceSession.SessionOptions,
    ): Promise<InferenceSession>;
  };
  Tensor: typeof Tensor;
}

export type OrtSession = InferenceSession;
export type OrtTensor = Tensor;
export type SessionOptions = InferenceSession.SessionOptions;
