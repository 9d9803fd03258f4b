import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * Moves every initializer of at least `threshold` bytes out of an ONNX model into one external
 * data file, as large exports store their weights (`model.onnx_data`, `weights.pb`).
 */
export function externalizeWeights(
  modelBytes: Uint8Array,
  location: string,
  threshold = 1024,
): { model: Uint8Array; data: Uint8Array } {
  const model = onnx.ModelProto.decode(modelBytes);
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const tensor of model.graph?.initializer ?? []) {
    const raw = tensor.rawData;
    if (!raw || raw.length < threshold) continue;
    tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
    tensor.externalData = [
      onnx.StringStringEntryProto.create({ key: 'location', value: location }),
      onnx.StringStringEntryProto.create({ key: 'offset', value: String(offset) }),
      onnx.StringStringEntryProto.create({ key: 'length', value: String(raw.length) }),
    ];
    tensor.rawData = new Uint8Array(0);
    chunks.push(raw);
    offset += raw.length;
  }
  const data = new Uint8Array(offset);
  let at = 0;
  for (const chunk of chunks) {
    data.set(chunk, at);
    at += chunk.length;
  }
  return { model: onnx.ModelProto.encode(model).finish(), data };
}
