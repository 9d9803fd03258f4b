import type { TorchGenerator } from '../random/torch-generator.ts';
import { GraphBuilder } from './graph-builder.ts';
import { Layers } from './layers.ts';

/** The keys of a transformers CLIPTextConfig that shape the graph. */
export interface ClipTextConfig {
  vocab_size: number;
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  max_position_embeddings: number;
  layer_norm_eps: number;
  hidden_act: 'quick_gelu' | 'gelu';
}

/**
 * CLIP's text transformer (transformers' CLIPTextModel) as exported for Stable Diffusion:
 * input `input_ids` int32 [batch, 77]; outputs `last_hidden_state`, `pooler_output` (the hidden
 * state at the EOS token, the highest id) and `hidden_states.0` .. `hidden_states.N` (the
 * embeddings and each layer's output, before the final layer norm) for clip skip.
 */
export function buildClipTextModel(config: ClipTextConfig, rng: TorchGenerator): Uint8Array {
  const g = new GraphBuilder(rng, 'text_encoder');
  const nn = new Layers(g);
  const { hidden_size: dim, max_position_embeddings: length } = config;
  const ids = g.input('input_ids', 'int32', ['batch', length]);

  const tokenTable = g.param(
    'text_model.embeddings.token_embedding.weight',
    [config.vocab_size, dim],
    { normal: 0.02 },
  );
  const positionTable = g.param(
    'text_model.embeddings.position_embedding.weight',
    [1, length, dim],
    { normal: 0.01 },
  );
  let h = nn.add(g.op('Gather', [tokenTable, ids], { axis: 0 }), positionTable);

  // Causal mask: token i attends to tokens <= i.
  const mask = new Float32Array(length * length);
  for (let i = 0; i < length; i++) for (let j = i + 1; j < length; j++) mask[i * length + j] = -1e9;
  const causal = g.constFloat(mask, [1, 1, length, length]);

  const hidden: string[] = [h];
  for (let layer = 0; layer < config.num_hidden_layers; layer++) {
    const p = `text_model.encoder.layers.${layer}`;
    const attn = nn.attention(
      `${p}.self_attn`,
      nn.layerNorm(`${p}.layer_norm1`, h, dim, config.layer_norm_eps),
      {
        dim,
        heads: config.num_attention_heads,
        qkvBias: true,
        mask: causal,
        names: { q: 'q_proj', k: 'k_proj', v: 'v_proj', out: 'out_proj' },
      },
    );
    h = nn.add(h, attn);
    const normed = nn.layerNorm(`${p}.layer_norm2`, h, dim, config.layer_norm_eps);
    const up = nn.linear(`${p}.mlp.fc1`, normed, dim, config.intermediate_size);
    const act = config.hidden_act === 'quick_gelu' ? nn.quickGelu(up) : nn.gelu(up);
    h = nn.add(h, nn.linear(`${p}.mlp.fc2`, act, config.intermediate_size, dim));
    hidden.push(h);
  }
  const last = nn.layerNorm('text_model.final_layer_norm', h, dim, config.layer_norm_eps);

  const eosPosition = g.op('Unsqueeze', [
    g.op('ArgMax', [ids], { axis: 1, keepdims: 0 }),
    g.constInt64([1]),
  ]);
  const pooled = g.op('GatherND', [last, eosPosition], { batch_dims: 1 });

  g.output('last_hidden_state', last, 'float32', ['batch', length, dim]);
  g.output('pooler_output', pooled, 'float32', ['batch', dim]);
  hidden.forEach((state, i) => {
    g.output(`hidden_states.${i}`, state, 'float32', ['batch', length, dim]);
  });
  return g.toBytes();
}
