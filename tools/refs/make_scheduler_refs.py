"""Writes reference schedules and trajectories of diffusers' own schedulers for our tests.

diffusers cannot be installed here (no PyPI), but its schedulers are plain Python over torch and
numpy. This script runs the scheduler files of a diffusers checkout unchanged, on Debian's
python3-torch / python3-numpy / python3-scipy, with a few stand-ins for the diffusers modules they
import (config registration, randn_tensor, output classes). Nothing from diffusers is copied into
the project: the checkout is read at run time.

    apt-get install python3-torch python3-scipy
    OPENBLAS_CORETYPE=Haswell /usr/bin/python3 tools/refs/make_scheduler_refs.py /path/to/diffusers \
        > packages/pipeline/test/fixtures/diffusers-schedulers.json

Trajectories follow diffusers' scheduler tests: the dummy model eps = sample * t / (t + 1) on a
[1, 4, 8, 8] sample (torch.randn with seed 0, times init_noise_sigma), stochastic steps drawing from
torch.Generator().manual_seed(1234).
"""
import inspect
import json
import os
import shutil
import subprocess
import sys
import tempfile
import textwrap

diffusers_root = sys.argv[1]
commit = os.environ.get("DIFFUSERS_COMMIT") or subprocess.run(["git", "-C", diffusers_root, "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()

STANDINS = {
    "__init__.py": "",
    "configuration_utils.py": '''
import functools, inspect

class _Config(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name)

class ConfigMixin:
    def register_to_config(self, **kwargs):
        self.config.update(kwargs)

def register_to_config(init):
    @functools.wraps(init)
    def wrapper(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        self.config = _Config({k: v for k, v in bound.arguments.items() if k != "self"})
        init(self, *args, **kwargs)
    return wrapper
''',
    "utils/__init__.py": '''
import logging as _logging
from dataclasses import dataclass

class BaseOutput:
    def __getitem__(self, i):
        return list(self.__dict__.values())[i]

def is_scipy_available():
    return True

def deprecate(*args, **kwargs):
    pass

class logging:
    get_logger = staticmethod(_logging.getLogger)
''',
    "utils/torch_utils.py": '''
import torch

def randn_tensor(shape, generator=None, device=None, dtype=None, layout=None):
    return torch.randn(shape, generator=generator, dtype=dtype)
''',
    "schedulers/__init__.py": "",
    "schedulers/scheduling_utils.py": '''
import enum
from dataclasses import dataclass
import torch
from ..utils import BaseOutput

class KarrasDiffusionSchedulers(enum.Enum):
    DDIMScheduler = 1

class SchedulerMixin:
    pass

@dataclass
class SchedulerOutput(BaseOutput):
    prev_sample: torch.Tensor
''',
}

FILES = {
    "ddim": ("scheduling_ddim", "DDIMScheduler"),
    "pndm": ("scheduling_pndm", "PNDMScheduler"),
    "lms": ("scheduling_lms_discrete", "LMSDiscreteScheduler"),
    "euler": ("scheduling_euler_discrete", "EulerDiscreteScheduler"),
    "euler_a": ("scheduling_euler_ancestral_discrete", "EulerAncestralDiscreteScheduler"),
    "heun": ("scheduling_heun_discrete", "HeunDiscreteScheduler"),
    "dpmpp_2m": ("scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler"),
    "dpmpp_2m_karras": ("scheduling_dpmsolver_multistep", "DPMSolverMultistepScheduler"),
    "unipc": ("scheduling_unipc_multistep", "UniPCMultistepScheduler"),
    "lcm": ("scheduling_lcm", "LCMScheduler"),
    "euler_karras": ("scheduling_euler_discrete", "EulerDiscreteScheduler"),
    "lms_karras": ("scheduling_lms_discrete", "LMSDiscreteScheduler"),
    "heun_karras": ("scheduling_heun_discrete", "HeunDiscreteScheduler"),
}
# How each sdedge name configures its diffusers class on top of the model's config.
OVERRIDES = {
    "pndm": {"skip_prk_steps": True},
    "dpmpp_2m": {"algorithm_type": "dpmsolver++", "solver_order": 2},
    "dpmpp_2m_karras": {"algorithm_type": "dpmsolver++", "solver_order": 2, "use_karras_sigmas": True},
    "unipc": {"solver_type": "bh2", "solver_order": 2},
    "euler_karras": {"use_karras_sigmas": True},
    "lms_karras": {"use_karras_sigmas": True},
    "heun_karras": {"use_karras_sigmas": True},
}
# Stable Diffusion 1.x's scheduler_config.json (a PNDMScheduler config, as shipped).
SD15 = {
    "beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "num_train_timesteps": 1000,
    "set_alpha_to_one": False, "skip_prk_steps": True, "steps_offset": 1, "trained_betas": None, "clip_sample": False,
}

tmp = tempfile.mkdtemp()
pkg = os.path.join(tmp, "diffusers")
for path, text in STANDINS.items():
    os.makedirs(os.path.dirname(os.path.join(pkg, path)), exist_ok=True)
    with open(os.path.join(pkg, path), "w") as f:
        f.write(textwrap.dedent(text))
for module, _ in FILES.values():
    shutil.copy(os.path.join(diffusers_root, "src/diffusers/schedulers", module + ".py"), os.path.join(pkg, "schedulers"))
sys.path.insert(0, tmp)

import importlib
import torch


def make(name, config):
    module, cls_name = FILES[name]
    cls = getattr(importlib.import_module("diffusers.schedulers." + module), cls_name)
    params = inspect.signature(cls.__init__).parameters
    merged = {**config, **OVERRIDES.get(name, {})}
    return cls(**{k: v for k, v in merged.items() if k in params})


def floats(t):
    return [float(v) for v in torch.as_tensor(t).flatten().tolist()]


def trajectory(name, config, steps, extra_step_kwargs=None):
    sched = make(name, config)
    sched.set_timesteps(steps)
    sample = torch.randn([1, 4, 8, 8], generator=torch.Generator().manual_seed(0)) * sched.init_noise_sigma
    generator = torch.Generator().manual_seed(1234)
    step_params = inspect.signature(sched.step).parameters
    kwargs = dict(extra_step_kwargs or {})
    if "generator" in step_params:
        kwargs["generator"] = generator
    means = []
    for t in sched.timesteps:
        model_input = sched.scale_model_input(sample, t)
        tt = t.to(torch.float32)
        eps = model_input * tt / (tt + 1)
        sample = sched.step(eps, t, sample, return_dict=False, **kwargs)[0]
        means.append(float(sample.abs().mean()))
    return {"abs_means": means, "final": floats(sample)}


out = {"diffusers_commit": commit, "torch_version": torch.__version__, "sd15_config": SD15, "cases": []}
for name in FILES:
    for prediction in ["epsilon", "v_prediction"]:
        config = {**SD15, "prediction_type": prediction}
        for steps in [10]:
            case = {"name": name, "prediction_type": prediction, "steps": steps}
            sched = make(name, config)
            sched.set_timesteps(steps)
            case["timesteps"] = floats(sched.timesteps)
            case["sigmas"] = floats(sched.sigmas) if hasattr(sched, "sigmas") and sched.sigmas is not None else None
            case["init_noise_sigma"] = float(sched.init_noise_sigma)
            case.update(trajectory(name, config, steps))
            out["cases"].append(case)
# DDIM with eta = 1 draws noise at every step.
case = {"name": "ddim", "prediction_type": "epsilon", "steps": 10, "eta": 1.0}
case.update(trajectory("ddim", {**SD15, "prediction_type": "epsilon"}, 10, {"eta": 1.0}))
out["cases"].append(case)

# Schedules alone, for more step counts and spacings.
schedules = []
for name in FILES:
    for steps in [1, 4, 20, 25, 50]:
        sched = make(name, SD15)
        sched.set_timesteps(steps)
        schedules.append({"name": name, "steps": steps, "timesteps": floats(sched.timesteps),
                          "sigmas": floats(sched.sigmas) if getattr(sched, "sigmas", None) is not None else None})
for spacing in ["leading", "trailing", "linspace"]:
    for name in ["ddim", "euler", "dpmpp_2m"]:
        sched = make(name, {**SD15, "timestep_spacing": spacing})
        sched.set_timesteps(7)
        schedules.append({"name": name, "steps": 7, "timestep_spacing": spacing, "timesteps": floats(sched.timesteps),
                          "sigmas": floats(sched.sigmas) if getattr(sched, "sigmas", None) is not None else None})
out["schedules"] = schedules

# add_noise at a few timesteps for each family.
noise_cases = []
original = torch.randn([1, 4, 8, 8], generator=torch.Generator().manual_seed(5))
noise = torch.randn([1, 4, 8, 8], generator=torch.Generator().manual_seed(6))
for name in FILES:
    sched = make(name, SD15)
    sched.set_timesteps(10)
    index = 3 * getattr(sched, "order", 1)
    t = sched.timesteps[index : index + 1]
    if hasattr(sched, "set_begin_index"):
        sched.set_begin_index(index)
    noisy = sched.add_noise(original, noise, t)
    noise_cases.append({"name": name, "steps": 10, "begin_index": index, "timestep": float(t[0]), "noisy": floats(noisy)})
out["add_noise"] = noise_cases

print(json.dumps(out))
