"""GPU smoke check: the LALM reasoner backend and the router's network on CUDA.

    python benchmarks/gpu_smoke.py              # on the GPU machine (torch + transformers; Ray optional)
    python benchmarks/gpu_smoke.py --device cpu # the same checks here, to test the script itself
    python benchmarks/gpu_smoke.py --checks lalm,router   # a subset

1. LALM backend (env/reasoners/lalm.py) with a tiny random Qwen2-Audio of the real class and processor
   (tests/tiny_models.py, built in a temp folder: nothing downloaded, nothing carried): bf16 on
   the device, audio in, tool results in the prompt, batched scores == one-row scores, scores
   on the device close to float32 on the CPU, constrained generation answers with a choice.
2. Router network (policy/networks.py, what RouterModule and router.pt are built from):
   forward with an action mask, a PPO-style clipped loss, backward, an Adam step, on the device.
3. Where Ray is installed: RLlib PPO with the RouterModule on a toy masked env with
   `num_gpus_per_learner=1` (the learner on the GPU), two iterations.

Each check prints PASS/FAIL/SKIP with its numbers; the exit code is the number of failures.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def write_clips(folder: str) -> dict[str, str]:
    import numpy as np
    import soundfile as sf

    t = np.arange(16000) / 16000
    clips = {"high": 0.3 * np.sin(2 * np.pi * 880 * t), "low": 0.3 * np.sin(2 * np.pi * 220 * t[:8000])}
    paths = {}
    for name, samples in clips.items():
        paths[name] = os.path.join(folder, f"{name}.wav")
        sf.write(paths[name], samples.astype("float32"), 16000)
    return paths


def check_lalm(device: str, folder: str) -> str:
    import torch

    import tiny_models
    from env.reasoners.lalm import TransformersLALMReasoner, input_device
    from env.reasoners import ReasonRequest

    model_dir = tiny_models.qwen2_audio(os.path.join(folder, "qwen2_audio"))
    clips = write_clips(folder)
    requests = [ReasonRequest("Is the tone high or low?", ("high", "low", "silent"), ("Pitch: 880 Hz.",), clips["high"]),
                ReasonRequest("How long is it?", ("half a second", "one second"), (), clips["low"])]
    dtype = "bfloat16" if device.startswith("cuda") else "float32"
    gpu = TransformersLALMReasoner(model_dir, dtype=dtype, device=device, max_batch=4)
    assert str(input_device(gpu.model)).startswith(device), input_device(gpu.model)
    start = time.perf_counter()
    batched = gpu.answer_batch(requests)
    seconds = time.perf_counter() - start
    single = [gpu.answer_batch([r])[0] for r in requests]
    tol = 0.15 if dtype == "bfloat16" else 1e-3  # summed log-probs over a few tokens, bf16 rounding
    diff_batch = max(abs(a - b) for x, y in zip(batched, single) for a, b in zip(x.scores, y.scores))
    assert diff_batch <= tol, f"batched vs one-row scores differ by {diff_batch}"
    cpu = TransformersLALMReasoner(model_dir, dtype="float32", device="cpu").answer_batch(requests)
    diff_cpu = max(abs(a - b) for x, y in zip(batched, cpu) for a, b in zip(x.scores, y.scores))
    assert diff_cpu <= 1.0, f"{device} {dtype} vs cpu float32 scores differ by {diff_cpu}"
    gen = TransformersLALMReasoner(model_dir, dtype=dtype, device=device, scoring="generate")
    picks = gen.answer_batch(requests)
    assert all(a.raw in r.choices for a, r in zip(picks, requests)), [a.raw for a in picks]
    memory = f", peak {torch.cuda.max_memory_allocated() / 2**20:.0f} MiB" if device.startswith("cuda") else ""
    return (f"{dtype} on {device}: answers {[a.choice for a in batched]}, first call {seconds:.2f}s, "
            f"batched-vs-single max diff {diff_batch:.4f}, vs cpu float32 {diff_cpu:.4f}, generate {[a.raw for a in picks]}"
            f"{memory}")


def check_router(device: str) -> str:
    import torch

    from policy.networks import build_trunk, masked_logits

    torch.manual_seed(0)
    obs_dim, actions, batch = 420, 10, 512
    trunk = build_trunk(obs_dim, [128, 128]).to(device)
    pi, vf = torch.nn.Linear(128, actions).to(device), torch.nn.Linear(128, 1).to(device)
    params = [*trunk.parameters(), *pi.parameters(), *vf.parameters()]
    optim = torch.optim.Adam(params, lr=2e-3)
    obs = torch.randn(batch, obs_dim, device=device)
    mask = (torch.rand(batch, actions, device=device) > 0.3).float()
    mask[:, -1] = 1.0  # ANSWER is always allowed
    advantages, returns = torch.randn(batch, device=device), torch.randn(batch, device=device)
    with torch.no_grad():
        old = torch.distributions.Categorical(logits=masked_logits(pi(trunk(obs)), mask))
        acts = old.sample()
        old_logp = old.log_prob(acts)
    losses = []
    for _ in range(5):
        emb = trunk(obs)
        dist = torch.distributions.Categorical(logits=masked_logits(pi(emb), mask))
        ratio = torch.exp(dist.log_prob(acts) - old_logp)
        policy = -torch.min(ratio * advantages, ratio.clamp(0.8, 1.2) * advantages).mean()
        loss = policy + 0.5 * ((vf(emb).squeeze(-1) - returns) ** 2).mean() - 0.01 * dist.entropy().mean()
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(float(loss))
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)
    assert float(mask.mul(0).add(1).sub(mask).mul(dist.probs).sum()) == 0.0, "a masked action has probability"
    assert losses[-1] < losses[0], losses
    return f"on {device}: loss {losses[0]:.4f} -> {losses[-1]:.4f} over 5 steps, masked actions at probability 0"


class MaskedBandit:
    """A toy env with the router's observation contract (observations + action_mask): one step,
    reward 1 for the action equal to the argmax of the first 4 observations. Built lazily so the
    script imports without gymnasium."""

    @staticmethod
    def make(_config=None):
        import gymnasium as gym
        import numpy as np

        class Env(gym.Env):
            observation_space = gym.spaces.Dict({"observations": gym.spaces.Box(-1, 1, (8,), np.float32),
                                                 "action_mask": gym.spaces.Box(0, 1, (4,), np.float32)})
            action_space = gym.spaces.Discrete(4)

            def reset(self, *, seed=None, options=None):
                super().reset(seed=seed)
                self.obs = self.np_random.uniform(-1, 1, 8).astype(np.float32)
                return {"observations": self.obs, "action_mask": np.ones(4, np.float32)}, {}

            def step(self, action):
                reward = float(action == int(np.argmax(self.obs[:4])))
                return {"observations": self.obs, "action_mask": np.ones(4, np.float32)}, reward, True, False, {}

        return Env()


def check_ppo_learner(device: str) -> str:
    """RLlib PPO with the RouterModule, the learner on the GPU (num_gpus_per_learner=1)."""
    try:
        import ray
        from ray.rllib.algorithms.ppo import PPOConfig
        from ray.rllib.core.rl_module.rl_module import RLModuleSpec
        from ray.tune.registry import register_env
    except ImportError:
        return "SKIP: Ray is not installed here (the device machine has torch and transformers only)"
    from policy.router_module import RouterModule

    gpus = 1 if device.startswith("cuda") else 0
    register_env("masked-bandit", MaskedBandit.make)
    ray.init(num_cpus=2, num_gpus=gpus, include_dashboard=False, log_to_driver=False)
    try:
        algo = (PPOConfig().environment("masked-bandit")
                .env_runners(num_env_runners=0)
                .learners(num_learners=1 if gpus else 0, num_gpus_per_learner=gpus)
                .training(lr=3e-3, train_batch_size_per_learner=256, minibatch_size=64, num_epochs=4, gamma=1.0)
                .rl_module(rl_module_spec=RLModuleSpec(module_class=RouterModule, model_config={"hidden": [32]}))
                .build_algo())
        rewards = [algo.train()["env_runners"].get("episode_return_mean") for _ in range(2)]
        algo.stop()
    finally:
        ray.shutdown()
    return f"learner with num_gpus_per_learner={gpus}: reward per iteration {rewards}"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--device", default="cuda")
    p.add_argument("--checks", default="lalm,router,ppo", help="comma-separated subset of lalm, router, ppo")
    args = p.parse_args()
    wanted = set(args.checks.split(","))
    import torch

    if args.device.startswith("cuda") and not torch.cuda.is_available():
        print("FAIL: CUDA is not available (use --device cpu to test the script itself)")
        return 1
    print(f"torch {torch.__version__}, device {args.device}"
          + (f" ({torch.cuda.get_device_name()})" if args.device.startswith("cuda") else ""))
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        checks = (("lalm", "lalm backend", lambda: check_lalm(args.device, folder)),
                  ("router", "router network", lambda: check_router(args.device)),
                  ("ppo", "ppo gpu learner", lambda: check_ppo_learner(args.device)))
        for key, name, check in checks:
            if key not in wanted:
                continue
            start = time.perf_counter()
            try:
                message = check()
                status = "SKIP" if message.startswith("SKIP") else "PASS"
            except Exception as exc:  # report every check, then fail
                traceback.print_exc()
                message, status = f"{type(exc).__name__}: {exc}", "FAIL"
                failures += 1
            print(f"{status} {name} ({time.perf_counter() - start:.1f}s): {message}", flush=True)
    return failures


if __name__ == "__main__":
    sys.exit(main())
