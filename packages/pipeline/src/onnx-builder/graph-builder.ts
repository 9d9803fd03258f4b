import onnxProto from 'onnx-proto';
import type { TorchGenerator } from '../random/torch-generator.ts';

const { onnx } = onnxProto;

export type ElementType = 'float32' | 'float16' | 'int32' | 'int64';
const DATA_TYPE: Record<ElementType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  float16: onnx.TensorProto.DataType.FLOAT16,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
};

/** A float attribute (plain numbers are written as integer attributes). */
export class FloatAttr {
  constructor(readonly value: number) {}
}
export const float = (value: number) => new FloatAttr(value);
export type AttrValue = number | number[] | string | FloatAttr;

/** How a parameter's seeded initial values are drawn. */
export type Init = { normal: number } | 'zeros' | 'ones';

/**
 * A small layer over onnx-proto for writing ONNX graphs by hand: named inputs and outputs,
 * parameters with seeded random values (named like diffusers' state-dict keys), constants, and
 * nodes with automatically named outputs.
 */
export class GraphBuilder {
  private readonly nodes: InstanceType<typeof onnx.NodeProto>[] = [];
  private readonly initializers: InstanceType<typeof onnx.TensorProto>[] = [];
  private readonly inputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private readonly outputs: InstanceType<typeof onnx.ValueInfoProto>[] = [];
  private counter = 0;
  private parameterCount = 0;

  constructor(
    private readonly rng: TorchGenerator,
    private readonly name: string,
  ) {}

  get parameters(): number {
    return this.parameterCount;
  }

  input(name: string, type: ElementType, dims: (number | string)[]): string {
    this.inputs.push(valueInfo(name, type, dims));
    return name;
  }

  output(name: string, value: string, type: ElementType, dims: (number | string)[]): void {
    this.op('Identity', [value], {}, name);
    this.outputs.push(valueInfo(name, type, dims));
  }

  /** Adds a node; returns the name of its (first) output. */
  op(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    outputName?: string,
  ): string {
    const output = outputName ?? `${opType.toLowerCase()}_${this.counter++}`;
    this.nodes.push(
      onnx.NodeProto.create({
        opType,
        input: inputs,
        output: [output],
        name: output,
        attribute: Object.entries(attrs).map(([key, value]) => attribute(key, value)),
      }),
    );
    return output;
  }

  /** A trainable weight with seeded values, named like a diffusers / transformers parameter. */
  param(name: string, dims: number[], init: Init): string {
    const size = dims.reduce((a, b) => a * b, 1);
    let data: Float32Array;
    if (init === 'zeros') data = new Float32Array(size);
    else if (init === 'ones') data = new Float32Array(size).fill(1);
    else {
      data = this.rng.randn([size]);
      for (let i = 0; i < size; i++) data[i] *= init.normal;
    }
    this.parameterCount += size;
    return this.tensor(name, 'float32', dims, new Uint8Array(data.buffer));
  }

  constFloat(values: Float32Array | number[], dims: number[]): string {
    const data = values instanceof Float32Array ? values : Float32Array.from(values);
    return this.tensor(`const_${this.counter++}`, 'float32', dims, new Uint8Array(data.buffer));
  }

  constInt64(values: number[]): string {
    const data = BigInt64Array.from(values.map(BigInt));
    return this.tensor(
      `const_${this.counter++}`,
      'int64',
      [values.length],
      new Uint8Array(data.buffer),
    );
  }

  toBytes(opset = 17): Uint8Array {
    return onnx.ModelProto.encode(this.model(opset)).finish();
  }

  private model(opset: number) {
    return onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'sdedge',
      opsetImport: [{ domain: '', version: opset }],
      graph: onnx.GraphProto.create({
        name: this.name,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      }),
    });
  }

  private tensor(name: string, type: ElementType, dims: number[], rawData: Uint8Array): string {
    this.initializers.push(
      onnx.TensorProto.create({ name, dataType: DATA_TYPE[type], dims, rawData }),
    );
    return name;
  }
}

function valueInfo(name: string, type: ElementType, dims: (number | string)[]) {
  return onnx.ValueInfoProto.create({
    name,
    type: {
      tensorType: {
        elemType: DATA_TYPE[type],
        shape: {
          dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  });
}

function attribute(name: string, value: AttrValue) {
  const A = onnx.AttributeProto.AttributeType;
  if (value instanceof FloatAttr)
    return onnx.AttributeProto.create({ name, type: A.FLOAT, f: value.value });
  if (typeof value === 'string') {
    return onnx.AttributeProto.create({ name, type: A.STRING, s: new TextEncoder().encode(value) });
  }
  if (Array.isArray(value)) return onnx.AttributeProto.create({ name, type: A.INTS, ints: value });
  return onnx.AttributeProto.create({ name, type: A.INT, i: value });
}
