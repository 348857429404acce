"""The router policy (RLlib TorchRLModule, PPO config, router.pt export). Empty until the
AudioToolEnv/PPO issue lands; fixed routing baselines live in eval/baselines.py."""
