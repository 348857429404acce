"""A reward: full credit for a right answer, a `bonus` more where the reasoner alone was wrong,
less the cost."""


class RightPlusRescue:
    def __init__(self, bonus: float = 0.5):
        self.bonus = float(bonus)

    def __call__(self, outcome):
        rescue = outcome.correct and not outcome.correct_without_tools
        return float(outcome.correct) + self.bonus * rescue - outcome.penalty
