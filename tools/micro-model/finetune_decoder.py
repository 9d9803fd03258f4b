"""Fine-tunes the autoencoder's decoder alone, encoder frozen, so the latents the UNet was
trained on stay exactly the same. A longer decoder schedule sharpens shapes and restores
colours that the joint autoencoder training blurred.

    /usr/bin/python3 tools/micro-model/finetune_decoder.py tools/micro-model/out/checkpoint.pt --steps 1200
"""
import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import scenes
from networks import Autoencoder

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("--steps", type=int, default=1200)
parser.add_argument("--seed", type=int, default=1)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)

ckpt = torch.load(args.checkpoint, map_location="cpu")
vae = Autoencoder()
vae.load_state_dict(ckpt["vae"])
rng = np.random.default_rng(args.seed)
images = torch.tensor(np.stack([scenes.sample_scene(rng, allow_held_out=True)[0] for _ in range(8000)]))
images = images.permute(0, 3, 1, 2).float().div(127.5).sub(1)

decoder_params = [p for n, p in vae.named_parameters() if n.startswith(("dec_", "post_quant_conv"))]
for p in vae.parameters():
    p.requires_grad_(False)
for p in decoder_params:
    p.requires_grad_(True)
opt = torch.optim.AdamW(decoder_params, lr=5e-4, weight_decay=0.0)
start = time.time()
for step in range(args.steps):
    lr = 5e-4 * 0.5 * (1 + math.cos(math.pi * step / args.steps))
    for group in opt.param_groups:
        group["lr"] = lr
    batch = images[torch.randint(len(images), (32,))]
    with torch.no_grad():
        mean, _ = vae.encode(batch)
    recon = vae.decode(mean)
    # MSE weighs colour errors on the small shapes more than L1 alone did.
    loss = (recon - batch).abs().mean() + 2 * F.mse_loss(recon, batch)
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == args.steps - 1:
        print(f"decoder step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
ckpt["vae"] = vae.state_dict()
ckpt.setdefault("finetune", []).append({"decoder_steps": args.steps, "seed": args.seed})
torch.save(ckpt, args.checkpoint)
print("saved", args.checkpoint)
