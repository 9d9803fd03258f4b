"""Exports a trained sdedge-micro checkpoint to ONNX in the diffusers layout, with the input
and output names of real Stable Diffusion exports, so sdedge's loadPipeline loads it unchanged.

    /usr/bin/python3 tools/micro-model/export.py tools/micro-model/out/checkpoint.pt packages/pipeline/models/sdedge-micro
"""
import json
import os
import sys

import torch

import clip_bpe
from networks import Autoencoder, TextEncoder, UNet

checkpoint_path, out = sys.argv[1], sys.argv[2]
ckpt = torch.load(checkpoint_path, map_location="cpu")
vocab, merges = ckpt["vocab"], [tuple(m) for m in ckpt["merges"]]

text_encoder = TextEncoder(len(vocab))
text_encoder.load_state_dict(ckpt["text_encoder"])
unet = UNet()
unet.load_state_dict(ckpt["unet"])
vae = Autoencoder()
vae.load_state_dict(ckpt["vae"])
for module in (text_encoder, unet, vae):
    module.eval()


class Wrap(torch.nn.Module):
    """Holds a module (so tracing sees its weights as parameters) and picks what to export."""

    def __init__(self, module, forward):
        super().__init__()
        self.module = module
        self.forward_fn = forward

    def forward(self, *args):
        return self.forward_fn(self.module, *args)


def text_outputs(module, input_ids):
    last, pooled, hidden = module(input_ids)
    return (last, pooled, *hidden)


def export(module, args, path, inputs, outputs, axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes, opset_version=17)


layers = len(text_encoder.layers)
hidden_names = [f"hidden_states.{i}" for i in range(layers + 1)]
with torch.no_grad():
    export(
        Wrap(text_encoder, text_outputs),
        (torch.zeros(1, 77, dtype=torch.int32),),
        f"{out}/text_encoder/model.onnx",
        ["input_ids"],
        ["last_hidden_state", "pooler_output", *hidden_names],
        {"input_ids": {0: "batch"}, "last_hidden_state": {0: "batch"}, "pooler_output": {0: "batch"}, **{n: {0: "batch"} for n in hidden_names}},
    )
    export(
        unet,
        (torch.randn(2, 4, 8, 8), torch.tensor([500.0]), torch.randn(2, 77, 64)),
        f"{out}/unet/model.onnx",
        ["sample", "timestep", "encoder_hidden_states"],
        ["out_sample"],
        {"sample": {0: "batch", 2: "height", 3: "width"}, "encoder_hidden_states": {0: "batch", 1: "sequence"}, "out_sample": {0: "batch", 2: "height", 3: "width"}},
    )
    export(
        Wrap(vae, lambda m, z: m.decode(z)),
        (torch.randn(1, 4, 8, 8),),
        f"{out}/vae_decoder/model.onnx",
        ["latent_sample"],
        ["sample"],
        {"latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}, "sample": {0: "batch", 2: "height", 3: "width"}},
    )
    export(
        Wrap(vae, lambda m, x: m.encode(x)[0]),  # the mean: a deterministic latent_sample
        (torch.randn(1, 3, 64, 64),),
        f"{out}/vae_encoder/model.onnx",
        ["sample"],
        ["latent_sample"],
        {"sample": {0: "batch", 2: "height", 3: "width"}, "latent_sample": {0: "batch", 2: "latent_height", 3: "latent_width"}},
    )


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=2)
        f.write("\n")


write_json(f"{out}/model_index.json", {
    "_class_name": "OnnxStableDiffusionPipeline",
    "_diffusers_version": "0.31.0",
    "feature_extractor": [None, None],
    "safety_checker": [None, None],
    "requires_safety_checker": False,
    "scheduler": ["diffusers", "PNDMScheduler"],
    "text_encoder": ["diffusers", "OnnxRuntimeModel"],
    "tokenizer": ["transformers", "CLIPTokenizer"],
    "unet": ["diffusers", "OnnxRuntimeModel"],
    "vae_decoder": ["diffusers", "OnnxRuntimeModel"],
    "vae_encoder": ["diffusers", "OnnxRuntimeModel"],
})
write_json(f"{out}/scheduler/scheduler_config.json", {
    "_class_name": "PNDMScheduler", "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear",
    "num_train_timesteps": 1000, "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1,
    "trained_betas": None, "clip_sample": False, "prediction_type": "epsilon",
})
write_json(f"{out}/text_encoder/config.json", {
    "architectures": ["CLIPTextModel"], "model_type": "clip_text_model", "vocab_size": len(vocab), "hidden_size": 64,
    "intermediate_size": 256, "num_hidden_layers": layers, "num_attention_heads": 4, "max_position_embeddings": 77,
    "hidden_act": "quick_gelu", "layer_norm_eps": 1e-5,
})
write_json(f"{out}/unet/config.json", {
    "_class_name": "UNet2DConditionModel", "sample_size": 8, "in_channels": 4, "out_channels": 4,
    "block_out_channels": list(unet.channels), "layers_per_block": 1, "cross_attention_dim": 64, "attention_head_dim": 4,
    "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D"], "up_block_types": ["CrossAttnUpBlock2D", "CrossAttnUpBlock2D"],
    "norm_num_groups": 8, "flip_sin_to_cos": True, "freq_shift": 0,
})
vae_config = {
    "_class_name": "AutoencoderKL", "in_channels": 3, "out_channels": 3, "latent_channels": 4,
    "block_out_channels": [16, 32, 32, 32], "layers_per_block": 1, "norm_num_groups": 8, "sample_size": 64,
    "scaling_factor": round(ckpt["scaling_factor"], 6),
}
write_json(f"{out}/vae_decoder/config.json", vae_config)
write_json(f"{out}/vae_encoder/config.json", vae_config)
os.makedirs(f"{out}/tokenizer", exist_ok=True)
clip_bpe.save(f"{out}/tokenizer", vocab, merges)
special = {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>", "pad_token": "<|endoftext|>"}
write_json(f"{out}/tokenizer/special_tokens_map.json", special)
write_json(f"{out}/tokenizer/tokenizer_config.json", {"model_max_length": 77, "do_lower_case": True, **special})
# What the model was trained to draw, for the evaluation (not read by the pipeline).
import scenes  # noqa: E402

held_out = [
    [c, s, b] for c in scenes.COLORS for s in scenes.SHAPES for b in scenes.COLORS if c != b and scenes.is_held_out(c, s, b)
]
write_json(f"{out}/sdedge_scenes.json", {
    "image_size": scenes.SIZE,
    "colors": scenes.COLORS,
    "shapes": scenes.SHAPES,
    "sizes": scenes.SIZES,
    "positions": scenes.POSITIONS,
    "held_out": held_out,
    # Captions tokenized by the trainer's tokenizer: sdedge's ClipTokenizer must agree.
    "tokenizer_check": [
        {"text": t, "ids": clip_bpe.Tokenizer(vocab, merges)(t)[:12]}
        for t in ["a small red circle in the top left on a blue background", "two green squares", ""]
    ],
})
print("exported to", out)
