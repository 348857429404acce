"""The environment side of routing: AudioQA items and their loader, the bad-item policy, the
frozen reasoner (reasoners/), the runtime builder, AudioToolEnv with its features and rewards,
prompt rendering and MMAU's string match."""
