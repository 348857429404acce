"""The router: the `train` config section, the masked MLP as an RLlib TorchRLModule, the PPO
config builder, and router.pt export with a `Router` that routes without RLlib."""
