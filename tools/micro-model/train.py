"""Trains sdedge-micro: a KL autoencoder, then a CLIP-style text encoder and a UNet together on
latents, on procedurally generated scenes (scenes.py). Seeded; CPU (Debian's python3-torch) or GPU.

    /usr/bin/python3 tools/micro-model/train.py --out tools/micro-model/out
then export.py writes the ONNX model. About an hour on a 2-core CPU with the defaults.
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

import clip_bpe
import scenes
from networks import Autoencoder, TextEncoder, UNet

parser = argparse.ArgumentParser()
parser.add_argument("--out", required=True)
parser.add_argument("--seed", type=int, default=0)
parser.add_argument("--scenes", type=int, default=24000)
parser.add_argument("--vae-steps", type=int, default=1200)
parser.add_argument("--unet-steps", type=int, default=2800)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)
device = "cuda" if torch.cuda.is_available() else "cpu"
os.makedirs(args.out, exist_ok=True)
log = open(os.path.join(args.out, "train.log"), "a")


def say(*parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    log.write(line + "\n")
    log.flush()


# 1. Data: images in [-1, 1] and tokenized captions.
vocab, merges = clip_bpe.learn(scenes.vocabulary_words())
tokenizer = clip_bpe.Tokenizer(vocab, merges)
rng = np.random.default_rng(args.seed)
images, ids, attributes = [], [], []
for _ in range(args.scenes):
    image, text, attrs = scenes.sample_scene(rng)
    images.append(image)
    ids.append(tokenizer(text))
    attributes.append(attrs)
images = torch.tensor(np.stack(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1)
ids = torch.tensor(ids, dtype=torch.int32)
empty_ids = torch.tensor(tokenizer(""), dtype=torch.int32)
say(f"{len(images)} scenes, vocabulary {len(vocab)}, device {device}")


def lr_at(step, total, peak, warmup=100):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


# 2. The autoencoder: L1 + MSE reconstruction with a tiny KL term, as SD's VAE.
vae = Autoencoder().to(device)
opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)
start = time.time()
for step in range(args.vae_steps):
    for group in opt.param_groups:
        group["lr"] = lr_at(step, args.vae_steps, 1e-3)
    batch = images[torch.randint(len(images), (32,))].to(device)
    mean, logvar = vae.encode(batch)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar.clamp(-30, 20))
    recon = vae.decode(z)
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
    loss = (recon - batch).abs().mean() + F.mse_loss(recon, batch) + 1e-6 * kl
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == args.vae_steps - 1:
        say(f"vae step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)")
vae.eval()

# 3. Latents of every scene (the mean), and the scaling factor that makes them unit variance.
with torch.no_grad():
    latents = torch.cat([vae.encode(images[i : i + 256].to(device))[0].cpu() for i in range(0, len(images), 256)])
scaling_factor = float(1 / latents.std())
latents = latents * scaling_factor
say(f"latents {tuple(latents.shape)}, scaling_factor {scaling_factor:.5f}")

# 4. Text encoder and UNet on SD 1.x's noise schedule (scaled_linear 0.00085..0.012, epsilon).
betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2
alphas_cumprod = torch.cumprod(1 - betas, dim=0)
text_encoder = TextEncoder(len(vocab)).to(device)
unet = UNet().to(device)
params = list(text_encoder.parameters()) + list(unet.parameters())
opt = torch.optim.AdamW(params, lr=3e-4, weight_decay=0.01)
ema = [p.detach().clone() for p in params]
start = time.time()
for step in range(args.unet_steps):
    for group in opt.param_groups:
        group["lr"] = lr_at(step, args.unet_steps, 3e-4)
    pick = torch.randint(len(latents), (64,))
    x0 = latents[pick].to(device)
    batch_ids = ids[pick].clone()
    batch_ids[torch.rand(64) < 0.1] = empty_ids  # caption dropout: learns the unconditional model
    t = torch.randint(0, 1000, (64,))
    noise = torch.randn_like(x0)
    a = alphas_cumprod[t].to(device)[:, None, None, None]
    noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
    context = text_encoder(batch_ids.to(device))[0]
    loss = F.mse_loss(unet(noisy, t.float().to(device), context), noise)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    with torch.no_grad():
        decay = min(0.999, (1 + step) / (10 + step))
        for e, p in zip(ema, params):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    if step % 100 == 0 or step == args.unet_steps - 1:
        say(f"unet step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)")

with torch.no_grad():
    for e, p in zip(ema, params):
        p.copy_(e)
torch.save(
    {
        "vae": vae.state_dict(),
        "text_encoder": text_encoder.state_dict(),
        "unet": unet.state_dict(),
        "scaling_factor": scaling_factor,
        "vocab": vocab,
        "merges": merges,
        "args": vars(args),
    },
    os.path.join(args.out, "checkpoint.pt"),
)
with open(os.path.join(args.out, "training.json"), "w") as f:
    json.dump({"args": vars(args), "scaling_factor": scaling_factor, "final_loss": loss.item()}, f, indent=2)
say("saved", os.path.join(args.out, "checkpoint.pt"))
