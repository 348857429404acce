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


def attention_blocks_for(blocks, segments, parent, n_past: int, mode: str, dtype, device) -> list[tuple]:
    """`block_attention`'s blocks for a packed pass: per item (or one for the whole pass,
    `one_mask`) its query range, key ranges and additive mask. A token sees its segment's
    earlier tokens, every token of its segment's ancestors and all of its item's memoized
    prefix (the keys before `n_past`)."""
    import torch

    n_ids = len(segments)
    sees = torch.eye(len(parent), dtype=torch.bool)  # sees[a, b]: b is a or an ancestor of a
    for seg, up in enumerate(parent):
        while up >= 0:  # prefix -> prompt tree segments -> choice branch
            sees[seg, up] = True
            up = parent[up]
    seg_of, index_of = torch.tensor(segments).T

    def additive(seen):  # SDPA on the CPU runs an additive mask ~20% faster than a boolean one
        mask = torch.zeros(seen.shape, dtype=dtype).masked_fill_(~seen, float("-inf"))
        return mask[None, None].to(device)

    local = []  # per item: its pass tokens x its pass tokens
    for start, end, _ in blocks:
        q_seg, q_idx = seg_of[start:end], index_of[start:end]
        earlier_or_other = (q_seg[:, None] != q_seg[None, :]) | (q_idx[None, :] <= q_idx[:, None])
        local.append(sees[q_seg][:, q_seg] & earlier_or_other)
    if mode == "per_item":
        return [(start, end, (p0, p1), (n_past + start, n_past + end),
                 additive(torch.cat([torch.ones((end - start, p1 - p0), dtype=torch.bool), seen], dim=1)))
                for (start, end, (p0, p1)), seen in zip(blocks, local)]
    whole = torch.zeros((n_ids, n_past + n_ids), dtype=torch.bool)  # the items' masks on its diagonal
    for (start, end, (p0, p1)), seen in zip(blocks, local):
        whole[start:end, p0:p1] = True
        whole[start:end, n_past + start: n_past + end] = seen
    return [(0, n_ids, (0, n_past), (n_past, n_past + n_ids), additive(whole))]
