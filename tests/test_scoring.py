"""MMAU string_match rules (evaluation.py of MMAU, as documented in shared/REFERENCE.md)."""
import pytest

from env.scoring import string_match

CHOICES = ["Man", "Woman", "Child", "Robot"]


@pytest.mark.parametrize("prediction,expected", [
    ("Man", True),
    ("the speaker is a man", True),
    ("MAN.", True),                              # lowercased, punctuation ignored
    ("Woman", False),
    ("man or woman", False),                     # contains a word only in a wrong choice
    ("", False),                                 # empty prediction is wrong
    ("   ", False),
    ("a human", False),                          # 'man' is not a separate word in 'human'
])
def test_single_word_choices(prediction, expected):
    assert string_match("Man", prediction, CHOICES) is expected


def test_multi_word_answers_need_every_word():
    choices = ["open the door", "close the door", "open the window", "call my mother"]
    assert string_match("open the door", "open the door", choices)
    assert not string_match("open the door", "open the", choices)            # 'door' missing
    assert not string_match("open the door", "open the door window", choices)  # 'window' is wrong-only
    # 'the' is shared by answer and wrong choices, so it never counts against
    assert string_match("open the door", "the door, open it", choices)


def test_numbers_and_units():
    choices = ["60 BPM", "90 BPM", "120 BPM", "150 BPM"]
    assert string_match("120 BPM", "120 BPM", choices)
    assert not string_match("120 BPM", "90 BPM", choices)
    assert string_match("3", "3", ["2", "3", "4", "5"])
    assert not string_match("3", "3 or 4", ["2", "3", "4", "5"])
