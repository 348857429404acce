"""A routing system: the cheapest tool whose precondition holds for the item."""
from eval.systems import RoutingSystem


class CheapestApplicable(RoutingSystem):
    name = "cheapest"

    def prepare(self, evaluator, fit_items):
        self.tools = evaluator.executor.tools

    def route(self, item, tools):
        usable = [n for n in tools if self.tools[n].applicable(item.question, item.choices)]
        return [min(usable, key=lambda n: self.tools[n].cost)] if usable else []
