"""Trains sdedge-micro: a KL autoencoder, then a CLIP-style text encoder and a UNet together on
latents, on procedurally generated scenes (scenes.py). Seeded; CUDA when there is one, else CPU.

    python3 tools/micro-model/train.py --out tools/micro-model/out
then export.py writes the ONNX model.

The autoencoder weighs shape pixels (those unlike the image's corner) 5x: with a plain loss it
learned the large backgrounds and blurred the small shapes' colours (red came out orange).
`--vae-seconds` / `--unet-seconds` fit a stage's step count to a time budget: steps 50-99
are timed, the total is cut to what fits, and the cosine schedule is laid over that total (the
steps actually run are logged and saved, so a rerun with those counts repeats the schedule).
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
parser.add_argument("--vae-batch", type=int, default=32)
parser.add_argument("--vae-seconds", type=float, default=None)
parser.add_argument("--unet-steps", type=int, default=2800)
parser.add_argument("--unet-batch", type=int, default=64)
parser.add_argument("--unet-lr", type=float, default=3e-4)
parser.add_argument("--unet-seconds", type=float, default=None)
parser.add_argument("--threads", type=int, default=2)
args = parser.parse_args()

torch.manual_seed(args.seed)
torch.set_num_threads(args.threads)
device = "cuda" if torch.cuda.is_available() else "cpu"
if device == "cuda":
    torch.backends.cuda.matmul.allow_tf32 = True
    torch.backends.cudnn.allow_tf32 = True
    torch.backends.cudnn.benchmark = True
os.makedirs(args.out, exist_ok=True)
log = open(os.path.join(args.out, "train.log"), "a")


def say(*parts):
    line = " ".join(str(p) for p in parts)
    print(line, flush=True)
    log.write(line + "\n")
    log.flush()


# 1. Data: uint8 images (kept on the device, converted per batch) and tokenized captions.
vocab, merges = clip_bpe.learn(scenes.vocabulary_words())
tokenizer = clip_bpe.Tokenizer(vocab, merges)
rng = np.random.default_rng(args.seed)
images, ids = [], []
start = time.time()
for _ in range(args.scenes):
    image, text, _ = scenes.sample_scene(rng)
    images.append(image)
    ids.append(tokenizer(text))
images = torch.tensor(np.stack(images)).permute(0, 3, 1, 2).contiguous().to(device)
ids = torch.tensor(ids, dtype=torch.int32).to(device)
empty_ids = torch.tensor(tokenizer(""), dtype=torch.int32).to(device)
say(f"{len(images)} scenes, vocabulary {len(vocab)}, device {device} ({time.time() - start:.0f}s)")


def as_float(batch):
    return batch.float().div(127.5).sub(1)


def lr_at(step, total, peak, warmup=100):
    if step < warmup:
        return peak * (step + 1) / warmup
    return peak * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, total - warmup)))


def run_stage(name, steps, seconds, step_fn):
    """Runs step_fn(step, total) `steps` times, or fewer when `seconds` says so: steps 50-99 are
    timed (after the first kernels' warm-up) and the total is cut to what fits the budget."""
    total, start, timed_from = steps, time.time(), None
    step = 0
    while step < total:
        loss = step_fn(step, total)
        if seconds is not None and step in (49, 99):
            if device == "cuda":
                torch.cuda.synchronize()
            now = time.time()
            if step == 49:
                timed_from = now
            else:
                per_step = (now - timed_from) / 50
                total = max(100, min(steps, 100 + int((seconds - (now - start)) / per_step)))
                say(f"{name}: {per_step * 1000:.1f} ms/step, running {total} steps")
        if step % 1000 == 0 or step == total - 1:
            say(f"{name} step {step} loss {loss.item():.4f} ({time.time() - start:.0f}s)")
        step += 1
    return total


# 2. The autoencoder: weighted L1 + MSE reconstruction with a tiny KL term, as SD's VAE.
vae = Autoencoder().to(device)
vae_opt = torch.optim.AdamW(vae.parameters(), lr=1e-3, weight_decay=0.0)


def vae_step(step, total):
    for group in vae_opt.param_groups:
        group["lr"] = lr_at(step, total, 1e-3)
    batch = as_float(images[torch.randint(len(images), (args.vae_batch,), device=device)])
    weight = 1 + 4 * ((batch - batch[:, :, :1, :1]).abs().sum(1, keepdim=True) > 0.1).float()
    mean, logvar = vae.encode(batch)
    z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar.clamp(-30, 20))
    recon = vae.decode(z)
    kl = 0.5 * (mean.pow(2) + logvar.exp() - 1 - logvar).mean()
    error = recon - batch
    loss = (weight * (error.abs() + 2 * error.pow(2))).mean() + 1e-6 * kl
    vae_opt.zero_grad(set_to_none=True)
    loss.backward()
    vae_opt.step()
    return loss.detach()


vae_steps = run_stage("vae", args.vae_steps, args.vae_seconds, vae_step)
vae.eval()

# 3. Latents of every scene (the mean), and the scaling factor that makes them unit variance.
with torch.no_grad():
    latents = torch.cat([vae.encode(as_float(images[i : i + 512]))[0] for i in range(0, len(images), 512)])
scaling_factor = float(1 / latents.std())
latents = latents * scaling_factor
say(f"latents {tuple(latents.shape)}, scaling_factor {scaling_factor:.5f}")

# 4. Text encoder and UNet on SD 1.x's noise schedule (scaled_linear 0.00085..0.012, epsilon).
betas = torch.linspace(0.00085**0.5, 0.012**0.5, 1000) ** 2
alphas_cumprod = torch.cumprod(1 - betas, dim=0).to(device)
text_encoder = TextEncoder(len(vocab)).to(device)
unet = UNet().to(device)
params = list(text_encoder.parameters()) + list(unet.parameters())
unet_opt = torch.optim.AdamW(params, lr=args.unet_lr, weight_decay=0.01)
ema = [p.detach().clone() for p in params]
batch_size = args.unet_batch


def unet_step(step, total):
    for group in unet_opt.param_groups:
        group["lr"] = lr_at(step, total, args.unet_lr)
    pick = torch.randint(len(latents), (batch_size,), device=device)
    x0 = latents[pick]
    drop = torch.rand(batch_size, device=device) < 0.1  # caption dropout: the unconditional model
    batch_ids = torch.where(drop[:, None], empty_ids[None], ids[pick])
    t = torch.randint(0, 1000, (batch_size,), device=device)
    noise = torch.randn_like(x0)
    a = alphas_cumprod[t][:, None, None, None]
    noisy = a.sqrt() * x0 + (1 - a).sqrt() * noise
    context = text_encoder(batch_ids)[0]
    loss = F.mse_loss(unet(noisy, t.float(), context), noise)
    unet_opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    unet_opt.step()
    with torch.no_grad():
        decay = min(0.999, (1 + step) / (10 + step))
        for e, p in zip(ema, params):
            e.mul_(decay).add_(p.detach(), alpha=1 - decay)
    return loss.detach()


unet_steps = run_stage("unet", args.unet_steps, args.unet_seconds, unet_step)

with torch.no_grad():
    for e, p in zip(ema, params):
        p.copy_(e)
steps_run = {"vae_steps": vae_steps, "unet_steps": unet_steps, "device": device}
torch.save(
    {
        "vae": {k: v.cpu() for k, v in vae.state_dict().items()},
        "text_encoder": {k: v.cpu() for k, v in text_encoder.state_dict().items()},
        "unet": {k: v.cpu() for k, v in unet.state_dict().items()},
        "scaling_factor": scaling_factor,
        "vocab": vocab,
        "merges": merges,
        "args": vars(args),
        "steps_run": steps_run,
    },
    os.path.join(args.out, "checkpoint.pt"),
)
with open(os.path.join(args.out, "training.json"), "w") as f:
    json.dump({"args": vars(args), "steps_run": steps_run, "scaling_factor": scaling_factor}, f, indent=2)
say("saved", os.path.join(args.out, "checkpoint.pt"), steps_run)
