import onnxProto from 'onnx-proto';
import { SdedgeError } from '../errors.ts';
import { float16ToFloat32 } from './float16.ts';
import type { ModelFiles } from './model-files.ts';

const { onnx } = onnxProto;

/**
 * Reads float weights out of an ONNX file by name suffix (for example
 * "final_layer_norm.weight"), following external-data references to files beside the model.
 * Used for the few weights the pipeline applies itself (CLIP's final layer norm for clip skip).
 */
export async function readInitializers(
  files: ModelFiles,
  path: string,
  suffixes: string[],
): Promise<Map<string, Float32Array>> {
  const bytes = await files.readBytes(path);
  if (!bytes)
    throw new SdedgeError('model_file_missing', `Model file not found: ${files.describe(path)}.`);
  const model = onnx.ModelProto.decode(bytes);
  const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/') + 1) : '';
  const found = new Map<string, Float32Array>();
  for (const suffix of suffixes) {
    const tensor = model.graph?.initializer?.find((t) => t.name?.endsWith(suffix));
    if (!tensor) continue;
    let raw: Uint8Array | undefined = tensor.rawData?.length ? tensor.rawData : undefined;
    if (!raw && tensor.floatData?.length) {
      found.set(suffix, Float32Array.from(tensor.floatData));
      continue;
    }
    if (!raw && tensor.externalData?.length) {
      const entry = (key: string) => tensor.externalData?.find((e) => e.key === key)?.value;
      const data = await files.readBytes(folder + (entry('location') ?? ''));
      const offset = Number(entry('offset') ?? 0);
      const length = Number(entry('length') ?? (data?.length ?? 0) - offset);
      raw = data?.subarray(offset, offset + length);
    }
    if (!raw) continue;
    const copy = raw.slice();
    if (tensor.dataType === onnx.TensorProto.DataType.FLOAT)
      found.set(suffix, new Float32Array(copy.buffer));
    else if (tensor.dataType === onnx.TensorProto.DataType.FLOAT16) {
      found.set(suffix, float16ToFloat32(new Uint16Array(copy.buffer)));
    }
  }
  return found;
}
