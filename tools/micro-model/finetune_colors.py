"""Second stage for sdedge-micro: retrains the autoencoder with the shape pixels weighted up (the
first autoencoder blurred small shapes' colours: red came out orange, green blue), then adapts
the text encoder and UNet, warm-started, to the new latents.

    /usr/bin/python3 tools/micro-model/finetune_colors.py tools/micro-model/out/checkpoint.pt tools/micro-model/out/checkpoint-colors.pt
"""
import argparse
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import clip_bpe
import scenes
from networks import Autoencoder, TextEncoder, UNet

parser = argparse.ArgumentParser()
parser.add_argument("checkpoint")
parser.add_argument("out")
parser.add_argument("--seed", type=int, default=2)
parser.add_argument("--vae-steps", type=int, default=1000)
parser.add_argument("--unet-steps", type=int, default=900)
parser.add_argument("--scenes", type=int, default=24000)
args = parser.parse_args()
torch.manual_seed(args.seed)
torch.set_num_threads(2)
ckpt = torch.load(args.checkpoint, map_location="cpu")
vocab, merges = ckpt["vocab"], [tuple(m) for m in ckpt["merges"]]
tokenizer = clip_bpe.Tokenizer(vocab, merges)

rng = np.random.default_rng(args.seed)
images, ids = [], []
for _ in range(args.scenes):
    image, text, _ = scenes.sample_scene(rng)
    images.append(image)
    ids.append(tokenizer(text))
images = torch.tensor(np.stack(images)).permute(0, 3, 1, 2).float().div(127.5).sub(1)
ids = torch.tensor(ids, dtype=torch.int32)
empty_ids = torch.tensor(tokenizer(""), dtype=torch.int32)


def cosine(step, total, peak):
    return peak * 0.5 * (1 + math.cos(math.pi * step / total))


# 1. Autoencoder, both halves, with shape pixels (those unlike the corner) weighted 5x.
vae = Autoencoder()
vae.load_state_dict(ckpt["vae"])
opt = torch.optim.AdamW(vae.parameters(), lr=5e-4, weight_decay=0.0)
start = time.time()
for step in range(args.vae_steps):
    for g in opt.param_groups:
        g["lr"] = cosine(step, args.vae_steps, 5e-4)
    batch = images[torch.randint(len(images), (32,))]
    corner = batch[:, :, :1, :1]
    weight = 1 + 4 * ((batch - corner).abs().sum(1, keepdim=True) > 0.1).float()
    mean, logvar = vae.encode(batch)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar.clamp(-30, 20))
    recon = vae.decode(z)
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
    loss = (weight * ((recon - batch).abs() + 2 * (recon - batch) ** 2)).mean() + 1e-6 * kl
    opt.zero_grad()
    loss.backward()
    opt.step()
    if step % 100 == 0 or step == args.vae_steps - 1:
        print(f"vae step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
vae.eval()
with torch.no_grad():
    latents = torch.cat([vae.encode(images[i : i + 256])[0] for i in range(0, len(images), 256)])
scaling_factor = float(1 / latents.std())
latents = latents * scaling_factor
print(f"scaling_factor {scaling_factor:.5f}", flush=True)

# 2. Text encoder + UNet, warm-started, on the new latents.
betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2
alphas_cumprod = torch.cumprod(1 - betas, dim=0)
text_encoder = TextEncoder(len(vocab))
text_encoder.load_state_dict(ckpt["text_encoder"])
unet = UNet()
unet.load_state_dict(ckpt["unet"])
params = list(text_encoder.parameters()) + list(unet.parameters())
opt = torch.optim.AdamW(params, lr=2e-4, weight_decay=0.01)
ema = [p.detach().clone() for p in params]
start = time.time()
for step in range(args.unet_steps):
    for g in opt.param_groups:
        g["lr"] = cosine(step, args.unet_steps, 2e-4)
    pick = torch.randint(len(latents), (64,))
    x0 = latents[pick]
    batch_ids = ids[pick].clone()
    batch_ids[torch.rand(64) < 0.1] = empty_ids
    t = torch.randint(0, 1000, (64,))
    noise = torch.randn_like(x0)
    a = alphas_cumprod[t][:, None, None, None]
    loss = F.mse_loss(unet(a.sqrt() * x0 + (1 - a).sqrt() * noise, t.float(), text_encoder(batch_ids)[0]), noise)
    opt.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    with torch.no_grad():
        for e, p in zip(ema, params):
            e.mul_(0.995).add_(p.detach(), alpha=0.005)
    if step % 100 == 0 or step == args.unet_steps - 1:
        print(f"unet step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)", flush=True)
with torch.no_grad():
    for e, p in zip(ema, params):
        p.copy_(e)
ckpt.update(vae=vae.state_dict(), text_encoder=text_encoder.state_dict(), unet=unet.state_dict(), scaling_factor=scaling_factor)
ckpt.setdefault("finetune", []).append({"colors": vars(args)})
torch.save(ckpt, args.out)
print("saved", args.out, flush=True)
