"""A vectorized AudioToolEnv whose step makes one batched call to the tools and one to the reasoner.

gymnasium's `SyncVectorEnv` steps its sub-envs one after another, so N sub-envs would make N
blocking calls to the tool pool and 2N to the reasoner pool per step. `BatchedVectorEnv` first
asks each sub-env what the action will do (`AudioToolEnv.plan`), runs all the tool calls in one
`ToolExecutor.run_many` and all the ending episodes' reasoner requests in one `answer_batch`
(which fills the shared in-memory caches), then lets `SyncVectorEnv.step` step the sub-envs,
which now only hit those caches. Same transitions as the plain vector env; fewer round trips,
and the reasoner pool sees batches it can run in one forward pass.

The sub-envs share one executor and one reasoner (env.factory builds them so); RLlib builds this
env through its vector entry point (`num_envs` in the env config, next-step autoreset).
"""
from __future__ import annotations

import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv

from tools.base import AudioError


class BatchedVectorEnv(SyncVectorEnv):
    def __init__(self, env_fns):
        super().__init__(env_fns, autoreset_mode=AutoresetMode.NEXT_STEP)
        self.round_trips = 0  # batched calls made (tool + reasoner), for the benchmark

    def step(self, actions):
        envs = [env.unwrapped for env in self.envs]
        live = [i for i in range(self.num_envs) if not self._autoreset_envs[i]]  # the rest only reset
        plans = {i: envs[i].plan(actions[i]) for i in live}
        calls = {i: (envs[i].item.audio, envs[i].item.question, envs[i].item.choices, [envs[i].tool_names[tool]])
                 for i, (tool, _, _) in plans.items() if tool is not None}
        # The batched calls only prefetch: if one fails (a file gone bad, the reasoner past its
        # timeout), the sub-envs' own steps meet the failure and handle it item by item.
        fresh = {}
        if calls:
            executor = envs[0].executor
            try:
                fresh = dict(zip(calls, (row[0] for row in executor.run_many(list(calls.values())))))
            except AudioError:
                pass
            self.round_trips += 1
        requests = []
        for i, (_, ends, _) in plans.items():
            if ends and (i in fresh or i not in calls):
                requests += envs[i].requests(envs[i].results + ([fresh[i]] if i in fresh else []))
        if requests:
            try:
                envs[0].reasoner.answer_batch(requests)
            except TimeoutError:
                pass
            self.round_trips += 1
        return super().step(np.asarray(actions))
