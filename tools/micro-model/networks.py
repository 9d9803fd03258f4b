"""The Stable Diffusion architecture at micro size, in plain PyTorch (written for this project,
following the structure of diffusers' UNet2DConditionModel / AutoencoderKL and transformers'
CLIPTextModel): CLIP-style text transformer, UNet with cross-attention, KL autoencoder with
4 latent channels and an 8x spatial factor."""
import math

import torch
import torch.nn.functional as F
from torch import nn


def attention(q, k, v, heads, mask=None):
    b, n, c = q.shape
    q, k, v = (t.reshape(b, -1, heads, c // heads).transpose(1, 2) for t in (q, k, v))
    scores = q @ k.transpose(-1, -2) / math.sqrt(c // heads)
    if mask is not None:
        scores = scores + mask
    return (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, c)


class SelfOrCrossAttention(nn.Module):
    def __init__(self, dim, heads, context_dim=None, bias=False):
        super().__init__()
        self.heads = heads
        self.to_q = nn.Linear(dim, dim, bias=bias)
        self.to_k = nn.Linear(context_dim or dim, dim, bias=bias)
        self.to_v = nn.Linear(context_dim or dim, dim, bias=bias)
        self.to_out = nn.Linear(dim, dim)

    def forward(self, x, context=None, mask=None):
        context = x if context is None else context
        return self.to_out(attention(self.to_q(x), self.to_k(context), self.to_v(context), self.heads, mask))


class TextEncoder(nn.Module):
    """CLIP text transformer: pre-LN causal self-attention, quick-GELU MLP, final layer norm."""

    def __init__(self, vocab_size, dim=64, layers=2, heads=4, length=77):
        super().__init__()
        self.token_embedding = nn.Embedding(vocab_size, dim)
        self.position_embedding = nn.Parameter(torch.randn(1, length, dim) * 0.01)
        self.layers = nn.ModuleList(
            nn.ModuleDict(
                dict(
                    ln1=nn.LayerNorm(dim),
                    attn=SelfOrCrossAttention(dim, heads, bias=True),
                    ln2=nn.LayerNorm(dim),
                    fc1=nn.Linear(dim, dim * 4),
                    fc2=nn.Linear(dim * 4, dim),
                )
            )
            for _ in range(layers)
        )
        self.final_layer_norm = nn.LayerNorm(dim)
        self.register_buffer("mask", torch.full((length, length), -1e9).triu(1), persistent=False)

    def forward(self, input_ids):
        h = self.token_embedding(input_ids.long()) + self.position_embedding
        hidden = [h]
        for layer in self.layers:
            h = h + layer["attn"](layer["ln1"](h), mask=self.mask)
            u = layer["fc1"](layer["ln2"](h))
            h = h + layer["fc2"](u * torch.sigmoid(1.702 * u))
            hidden.append(h)
        last = self.final_layer_norm(h)
        pooled = last[torch.arange(last.shape[0], device=last.device), input_ids.long().argmax(-1)]
        return last, pooled, hidden


class Resnet(nn.Module):
    def __init__(self, cin, cout, groups, temb=None):
        super().__init__()
        self.norm1 = nn.GroupNorm(groups, cin, eps=1e-6)
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.time_emb_proj = nn.Linear(temb, cout) if temb else None
        self.norm2 = nn.GroupNorm(groups, cout, eps=1e-6)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.conv_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x, temb=None):
        h = self.conv1(F.silu(self.norm1(x)))
        if self.time_emb_proj is not None:
            h = h + self.time_emb_proj(F.silu(temb))[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.conv_shortcut is None else self.conv_shortcut(x)) + h


class Transformer2D(nn.Module):
    """GroupNorm, 1x1 in, [self-attn, cross-attn, GEGLU feed-forward], 1x1 out, residual."""

    def __init__(self, dim, heads, context_dim, groups):
        super().__init__()
        self.norm = nn.GroupNorm(groups, dim, eps=1e-6)
        self.proj_in = nn.Conv2d(dim, dim, 1)
        self.norm1, self.norm2, self.norm3 = nn.LayerNorm(dim), nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.attn1 = SelfOrCrossAttention(dim, heads)
        self.attn2 = SelfOrCrossAttention(dim, heads, context_dim)
        self.ff_in = nn.Linear(dim, dim * 8)
        self.ff_out = nn.Linear(dim * 4, dim)
        self.proj_out = nn.Conv2d(dim, dim, 1)

    def forward(self, x, context):
        b, c, hgt, wid = x.shape
        h = self.proj_in(self.norm(x)).reshape(b, c, -1).transpose(1, 2)
        h = h + self.attn1(self.norm1(h))
        h = h + self.attn2(self.norm2(h), context)
        value, gate = self.ff_in(self.norm3(h)).chunk(2, dim=-1)
        h = h + self.ff_out(value * F.gelu(gate))
        return x + self.proj_out(h.transpose(1, 2).reshape(b, c, hgt, wid))


class UNet(nn.Module):
    """UNet2DConditionModel: two levels, each ResNet + cross-attention, with a mid block."""

    def __init__(self, channels=(48, 96), context_dim=64, heads=4, groups=8, in_channels=4):
        super().__init__()
        c0, c1 = channels
        self.channels = channels
        self.temb_dim = c0 * 4
        self.conv_in = nn.Conv2d(in_channels, c0, 3, padding=1)
        self.time_1 = nn.Linear(c0, self.temb_dim)
        self.time_2 = nn.Linear(self.temb_dim, self.temb_dim)
        self.down0 = Resnet(c0, c0, groups, self.temb_dim)
        self.down0_attn = Transformer2D(c0, heads, context_dim, groups)
        self.downsample = nn.Conv2d(c0, c0, 3, stride=2, padding=1)
        self.down1 = Resnet(c0, c1, groups, self.temb_dim)
        self.down1_attn = Transformer2D(c1, heads, context_dim, groups)
        self.mid1 = Resnet(c1, c1, groups, self.temb_dim)
        self.mid_attn = Transformer2D(c1, heads, context_dim, groups)
        self.mid2 = Resnet(c1, c1, groups, self.temb_dim)
        self.up0 = nn.ModuleList([Resnet(c1 + c1, c1, groups, self.temb_dim), Resnet(c1 + c0, c1, groups, self.temb_dim)])
        self.up0_attn = nn.ModuleList([Transformer2D(c1, heads, context_dim, groups) for _ in range(2)])
        self.upsample = nn.Conv2d(c1, c1, 3, padding=1)
        self.up1 = nn.ModuleList([Resnet(c1 + c0, c0, groups, self.temb_dim), Resnet(c0 + c0, c0, groups, self.temb_dim)])
        self.up1_attn = nn.ModuleList([Transformer2D(c0, heads, context_dim, groups) for _ in range(2)])
        self.norm_out = nn.GroupNorm(groups, c0, eps=1e-6)
        self.conv_out = nn.Conv2d(c0, 4, 3, padding=1)

    def time_embedding(self, t):
        half = self.channels[0] // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
        args = t.float().reshape(-1)[:, None] * freqs[None]
        emb = torch.cat([torch.cos(args), torch.sin(args)], dim=-1)  # flip_sin_to_cos
        return self.time_2(F.silu(self.time_1(emb)))

    def forward(self, sample, timestep, encoder_hidden_states):
        temb = self.time_embedding(timestep)
        ctx = encoder_hidden_states
        h = self.conv_in(sample)
        skips = [h]
        h = self.down0_attn(self.down0(h, temb), ctx)
        skips.append(h)
        h = self.downsample(h)
        skips.append(h)
        h = self.down1_attn(self.down1(h, temb), ctx)
        skips.append(h)
        h = self.mid2(self.mid_attn(self.mid1(h, temb), ctx), temb)
        for resnet, attn in zip(self.up0, self.up0_attn):
            h = attn(resnet(torch.cat([h, skips.pop()], 1), temb), ctx)
        h = self.upsample(F.interpolate(h, scale_factor=2.0, mode="nearest"))
        for resnet, attn in zip(self.up1, self.up1_attn):
            h = attn(resnet(torch.cat([h, skips.pop()], 1), temb), ctx)
        return self.conv_out(F.silu(self.norm_out(h)))


class SpatialAttention(nn.Module):
    def __init__(self, dim, groups):
        super().__init__()
        self.group_norm = nn.GroupNorm(groups, dim, eps=1e-6)
        self.attn = SelfOrCrossAttention(dim, 1, bias=True)

    def forward(self, x):
        b, c, h, w = x.shape
        seq = self.group_norm(x).reshape(b, c, -1).transpose(1, 2)
        return x + self.attn(seq).transpose(1, 2).reshape(b, c, h, w)


class Autoencoder(nn.Module):
    """AutoencoderKL: 64x64x3 <-> 8x8x4 (mean and log-variance from the encoder)."""

    def __init__(self, channels=(16, 32, 32, 32), groups=8, latent=4):
        super().__init__()
        c = channels
        self.enc_in = nn.Conv2d(3, c[0], 3, padding=1)
        self.enc_blocks = nn.ModuleList(Resnet(c[max(i - 1, 0)], c[i], groups) for i in range(4))
        self.enc_down = nn.ModuleList(nn.Conv2d(c[i], c[i], 3, stride=2) for i in range(3))
        self.enc_mid = nn.ModuleList([Resnet(c[3], c[3], groups), SpatialAttention(c[3], groups), Resnet(c[3], c[3], groups)])
        self.enc_norm = nn.GroupNorm(groups, c[3], eps=1e-6)
        self.enc_out = nn.Conv2d(c[3], 2 * latent, 3, padding=1)
        self.quant_conv = nn.Conv2d(2 * latent, 2 * latent, 1)
        self.post_quant_conv = nn.Conv2d(latent, latent, 1)
        r = list(reversed(c))
        self.dec_in = nn.Conv2d(latent, r[0], 3, padding=1)
        self.dec_mid = nn.ModuleList([Resnet(r[0], r[0], groups), SpatialAttention(r[0], groups), Resnet(r[0], r[0], groups)])
        self.dec_blocks = nn.ModuleList(
            nn.ModuleList([Resnet(r[max(i - 1, 0)], r[i], groups), Resnet(r[i], r[i], groups)]) for i in range(4)
        )
        self.dec_up = nn.ModuleList(nn.Conv2d(r[i], r[i], 3, padding=1) for i in range(3))
        self.dec_norm = nn.GroupNorm(groups, r[3], eps=1e-6)
        self.dec_out = nn.Conv2d(r[3], 3, 3, padding=1)

    def encode(self, x):
        h = self.enc_in(x)
        for i, block in enumerate(self.enc_blocks):
            h = block(h)
            if i < 3:
                h = self.enc_down[i](F.pad(h, (0, 1, 0, 1)))
        for layer in self.enc_mid:
            h = layer(h)
        moments = self.quant_conv(self.enc_out(F.silu(self.enc_norm(h))))
        return moments.chunk(2, dim=1)  # mean, logvar

    def decode(self, z):
        h = self.dec_in(self.post_quant_conv(z))
        for layer in self.dec_mid:
            h = layer(h)
        for i, blocks in enumerate(self.dec_blocks):
            for block in blocks:
                h = block(h)
            if i < 3:
                h = self.dec_up[i](F.interpolate(h, scale_factor=2.0, mode="nearest"))
        return self.dec_out(F.silu(self.dec_norm(h)))
