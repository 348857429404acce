"""Block attention for a packed scoring pass: independent items in one forward pass, each seeing
only its own tokens (`SmolLMReasoner._score_pass`), registered as a transformers attention
function."""
from __future__ import annotations


BLOCK_ATTENTION = "audiorouter_blocks"


def block_attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                    attention_blocks=None, **kwargs):
    """Attention for a packed pass of independent items (`SmolLMReasoner._score_pass`), as a
    transformers attention function (`use_block_attention`).

    `attention_blocks`: per item (query start, query end, (past start, past end), (start, end)
    of its own keys among the pass's keys, its additive mask over those keys). The keys are laid
    out [memoized prefixes | this pass's tokens]. Each item's queries attend only to its own
    keys, so the cost is the sum of the items' squares, not the square of their sum (on 2 CPU
    cores one 16-request batch spent ~25% of its time in dense masked attention). Without
    blocks (any other call), it is plain SDPA.
    """
    import torch

    from transformers.integrations.sdpa_attention import sdpa_attention_forward

    if attention_blocks is None:
        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling,
                                      dropout=dropout, **kwargs)
    out = query.new_empty(query.shape)  # (1, heads, queries, head dim)
    for q0, q1, (p0, p1), (k0, k1), mask in attention_blocks:
        keys = torch.cat([key[:, :, p0:p1], key[:, :, k0:k1]], dim=2)
        values = torch.cat([value[:, :, p0:p1], value[:, :, k0:k1]], dim=2)
        out[:, :, q0:q1] = torch.nn.functional.scaled_dot_product_attention(
            query[:, :, q0:q1], keys, values, attn_mask=mask, scale=scaling, enable_gqa=True)
    return out.transpose(1, 2).contiguous(), None


def use_block_attention(model) -> None:
    """Makes `model` run `block_attention` (idempotent). A packed pass must never run on another
    attention function: it would ignore the blocks and let every token see every other."""
    from transformers import AttentionInterface

    if model.config._attn_implementation != BLOCK_ATTENTION:
        AttentionInterface.register(BLOCK_ATTENTION, block_attention)
        model.set_attn_implementation(BLOCK_ATTENTION)


# (gguf path, dtype, device) -> (tokenizer, model): the reasoner is frozen and never trained, so
