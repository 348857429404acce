"""A dataset adapter: a benchmark whose items say which `room` they were recorded in, whose
results are broken down by room, and whose scorer reads the key `pred`."""
from eval.datasets import DatasetAdapter


class RoomsDataset(DatasetAdapter):
    name = "rooms"
    breakdowns = ("room",)

    def matches(self, entries):
        return all("room" in e for e in entries)

    def prediction_fields(self, row):
        return {"pred": row["prediction"]}
