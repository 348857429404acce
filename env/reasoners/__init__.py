"""The frozen reasoner: request and answer types, the backend contract, the backends, the answer
cache and dynamic batching.

    types.py        ReasonRequest, Answer, ReasonerBackend (the contract), backend_traits, choice_probabilities
    registry.py     build_reasoner / reasoner_class: a backend by name or `class:`
    smollm2.py      the embedded CPU default (SmolLM2-135M, text only), packed scoring
    attention.py    block attention for the packed pass
    lalm.py         transformers LALMs that hear the clip (Qwen2-Audio, Qwen2.5-Omni), DeepSpeed
    openai_http.py  an OpenAI-compatible server (vLLM)
    cache.py        CachedReasoner: answers memoized on disk, calls bounded in time
    batching.py     BatchingReasoner: concurrent callers' requests in one batch
"""
from env.reasoners.cache import CachedReasoner
from env.reasoners.registry import BACKENDS, build_reasoner, reasoner_class
from env.reasoners.types import Answer, ReasonerBackend, ReasonRequest, backend_traits, choice_probabilities

__all__ = ["Answer", "BACKENDS", "CachedReasoner", "ReasonRequest", "ReasonerBackend", "build_reasoner",
           "backend_traits", "choice_probabilities", "reasoner_class"]
