import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { ClipTokenizer } from '../src/node.ts';
import { buildTinyModel, TINY_VARIANTS } from '../src/testing.ts';
import { tinyModel } from './helpers/tiny-models.ts';

const FILES = [
  'model_index.json',
  'text_encoder/model.onnx',
  'text_encoder/config.json',
  'unet/model.onnx',
  'unet/config.json',
  'vae_decoder/model.onnx',
  'vae_decoder/config.json',
  'vae_encoder/model.onnx',
  'vae_encoder/config.json',
  'tokenizer/vocab.json',
  'tokenizer/merges.txt',
  'scheduler/scheduler_config.json',
];

async function io(path: string) {
  const session = await ort.InferenceSession.create(path);
  const meta = (
    session as unknown as { inputMetadata: { name: string; type: string; shape: unknown[] }[] }
  ).inputMetadata;
  const result = {
    inputs: meta.map((m) => `${m.name}:${m.type}[${m.shape.join(',')}]`),
    outputs: session.outputNames,
  };
  await session.release();
  return result;
}

describe.each(TINY_VARIANTS)('the tiny %s model', (variant) => {
  it('has the diffusers ONNX layout and a few MB at most', async () => {
    const dir = await tinyModel(variant);
    let bytes = 0;
    for (const file of FILES) {
      expect(existsSync(join(dir, file)), file).toBe(true);
      bytes += statSync(join(dir, file)).size;
    }
    expect(bytes).toBeLessThan(8 * 1024 * 1024);
    const index = JSON.parse(readFileSync(join(dir, 'model_index.json'), 'utf8'));
    expect(index.unet).toEqual(['diffusers', 'OnnxRuntimeModel']);
  });

  it('exports the real Stable Diffusion inputs and outputs', async () => {
    const dir = await tinyModel(variant);
    const fp16 = variant === 'fp16';
    const float = fp16 ? 'float16' : 'float32';
    const text = await io(join(dir, 'text_encoder/model.onnx'));
    expect(text.inputs).toEqual(['input_ids:int32[batch,77]']);
    expect(text.outputs).toEqual([
      'last_hidden_state',
      'pooler_output',
      'hidden_states.0',
      'hidden_states.1',
      'hidden_states.2',
      'hidden_states.3',
    ]);
    const unet = await io(join(dir, 'unet/model.onnx'));
    const timestepType = variant === 'sd15-int64' ? 'int64' : float;
    const channels = variant === 'inpaint' ? 9 : 4;
    expect(unet.inputs).toEqual([
      `sample:${float}[batch,${channels},height,width]`,
      `timestep:${timestepType}[1]`,
      `encoder_hidden_states:${float}[batch,sequence,32]`,
    ]);
    expect(unet.outputs).toEqual(['out_sample']);
    expect((await io(join(dir, 'vae_decoder/model.onnx'))).inputs).toEqual([
      `latent_sample:${float}[batch,4,latent_height,latent_width]`,
    ]);
    expect((await io(join(dir, 'vae_encoder/model.onnx'))).outputs).toEqual(['latent_sample']);
  });

  it('has a tokenizer in CLIP format that the real loader reads', async () => {
    const tokenizer = await ClipTokenizer.fromDirectory(
      join(await tinyModel(variant), 'tokenizer'),
    );
    expect(tokenizer.padTokenId).toBe(variant === 'sd2-v' ? 0 : tokenizer.eosTokenId);
    expect(tokenizer.eosTokenId).toBe(tokenizer.vocabSize - 1);
    // Words of its corpus are single tokens; anything else still encodes, down to bytes.
    expect(tokenizer.encode('a red circle')).toHaveLength(3);
    expect(tokenizer.encode('zebra 東京').length).toBeGreaterThan(2);
  });
});

describe('buildTinyModel', () => {
  it('is deterministic per seed and differs across seeds', async () => {
    const a = readFileSync(join(await tinyModel('sd15', 0), 'unet/model.onnx'));
    const b = readFileSync(join(await tinyModel('sd15', 0), 'unet/model.onnx'));
    const c = readFileSync(join(await tinyModel('sd15', 1), 'unet/model.onnx'));
    expect(a.equals(b)).toBe(true);
    expect(a.equals(c)).toBe(false);
  });

  it('refuses an unknown variant', async () => {
    await expect(buildTinyModel('/tmp/never', { variant: 'sdxl' as never })).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});
