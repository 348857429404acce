"""Dataset loading for evaluation: the MMAU-schema loader and the AudioQA item (env/items.py)."""
from env.items import AUDIO_KEYS, REQUIRED, AudioQA, load_items, parse_item, resolve_items_file

__all__ = ["AUDIO_KEYS", "REQUIRED", "AudioQA", "load_items", "parse_item", "resolve_items_file"]
