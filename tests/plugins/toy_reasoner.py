"""A reasoner backend: answers with the choice its evidence names last (else the first choice).
Text only, deterministic: what the answer cache and the reward need."""
from env.reasoners.types import Answer


class LastNamedChoice:
    hears_audio = False

    def __init__(self, default_index: int = 0):
        self.default_index = int(default_index)
        self.id = f"toy-last-named/{self.default_index}"

    def answer_batch(self, requests):
        out = []
        for r in requests:
            text = " ".join(r.tool_texts).lower()
            found = [text.rfind(f" {c.lower()}") for c in r.choices]
            k = max(range(len(r.choices)), key=lambda i: found[i]) if max(found) >= 0 else self.default_index
            out.append(Answer(r.choices[k], k, [float(f) for f in found], r.choices[k]))
        return out


class HearingLastNamedChoice(LastNamedChoice):
    """The same, declared as hearing the clip (its answers are then cached per clip) and with its
    own temperature: what a wrapper around it must pass on (env.reasoners.backend_traits)."""

    hears_audio = True
    temperature = 5.0
