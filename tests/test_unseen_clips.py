"""benchmarks/unseen_clips.py: a check set off the probe, whose answers must follow from its clips."""
import collections
import json
import os

import numpy as np
import soundfile as sf

from benchmarks.unseen_clips import FAMILIES, generate


def test_unseen_clips_are_what_their_answers_say(tmp_path):
    """Ten items per family, answers among distinct choices, a third yes/no with both answers, the
    same set for the same seed; the clips' lengths, level trends and gaps are the drawn ones."""
    items = generate(str(tmp_path / "a"))
    assert len(items) == 100 and collections.Counter(i["task"] for i in items) == {f: 10 for f in FAMILIES}
    assert all(i["answer"] in i["choices"] and len(set(i["choices"])) == len(i["choices"]) for i in items)
    yes_no = [i for i in items if i["form"] == "yesno"]
    assert all(sorted(i["choices"]) == ["no", "yes"] for i in yes_no) and 25 <= len(yes_no) <= 40
    assert {i["answer"] for i in yes_no} == {"yes", "no"}
    params = {p["id"]: p for p in json.load(open(tmp_path / "a" / "params.json"))}
    for item in items:
        audio, rate = sf.read(os.path.join(tmp_path / "a", item["audio_id"]))
        assert rate == 16000 and audio.ndim == 1 and abs(np.abs(audio).max() - 0.8) < 0.01
        drawn = params[item["id"]]
        frames = np.sqrt(np.mean(audio[: len(audio) // 160 * 160].reshape(-1, 160) ** 2, axis=1))  # 10 ms RMS
        if item["task"] == "duration":
            assert abs(len(audio) / rate - drawn["seconds"]) < 1e-3
        if item["task"] == "loudness":  # the second half 6 dB or more above the first, or not
            half = len(frames) // 2
            rise = 10 * np.log10(np.mean(frames[half:] ** 2) / np.mean(frames[:half] ** 2))
            assert (rise > 6) == drawn["rising"], (item["id"], rise)
        if item["task"] == "gap":  # a dip of 15 dB below the median level where there is a gap
            inner = frames[20:-20]
            assert (20 * np.log10(np.percentile(inner, 3) / np.median(inner)) < -15) == drawn["gap"], item["id"]
    again = generate(str(tmp_path / "b"))
    assert again == items
    assert (tmp_path / "a" / "audio" / "h2-001.wav").read_bytes() == (tmp_path / "b" / "audio" / "h2-001.wav").read_bytes()


def test_question_wordings_expect_what_each_clip_holds():
    """benchmarks/question_wordings.py: every question's kind is known and its answers are among its
    choices; a negated question expects the other answer; clips are taken three of each side, in order."""
    from benchmarks.question_wordings import SETS, clips_for, expected, load

    level, pitch = SETS["level"], SETS["pitch"]
    for name in ("level", "pitch"):
        wording_set, wordings = SETS[name], load(name)
        assert {w["asks"] for w in wordings} == set(wording_set.kinds), name
        for w in wordings:
            assert expected(wording_set, w, True) in w["choices"] and expected(wording_set, w, False) in w["choices"]
            assert expected(wording_set, w, True) != expected(wording_set, w, False), w["question"]
    assert len(load("level")) == 101
    assert {w["half"] for w in load("pitch")} == {"build", "check"}
    by_kind = {w["asks"]: w for w in load("level")}
    assert (expected(level, by_kind["louder"], True), expected(level, by_kind["not_louder"], True)) == ("yes", "no")
    assert (expected(level, by_kind["gap"], False), expected(level, by_kind["no_gap"], False)) == ("no", "yes")
    direction = by_kind["direction"]
    assert expected(level, direction, False) != expected(level, direction, True) == direction["answer_if_true"]
    lower = {"question": "Which tone is lower?", "choices": ["the first", "the second"], "asks": "direction",
             "answer_if_true": "the first", "answer_if_false": "the second"}
    assert (expected(pitch, lower, True), expected(pitch, lower, False)) == ("the first", "the second")
    params = [{"id": f"l{k}", "task": "loudness", "rising": k % 2 == 0} for k in range(8)] + \
             [{"id": f"g{k}", "task": "gap", "gap": k < 2} for k in range(5)]
    clips = clips_for(level, params)
    assert clips["level"] == [("l0", True), ("l2", True), ("l4", True), ("l1", False), ("l3", False), ("l5", False)]
    assert clips["gap"] == [("g0", True), ("g1", True), ("g2", False), ("g3", False), ("g4", False)]


def test_count_wordings_ask_each_clip_at_the_boundary():
    """The count set: a yes/no template is asked of the first clip of each sound with at least three,
    with the nearest k each way ("more than 6" of 7 sounds: yes, "more than 7": no); a how-many
    template's choices hold the right count once, at a different place per clip."""
    from benchmarks.question_wordings import SETS, load

    count = SETS["count"]
    wordings = load("count")
    assert {w["asks"] for w in wordings} == count.kinds and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": "c0", "task": "count", "kind": "knock", "n": 2}, {"id": "c1", "task": "count", "kind": "knock", "n": 7},
              {"id": "c2", "task": "count", "kind": "knock", "n": 4}, {"id": "c3", "task": "count", "kind": "clap", "n": 3},
              {"id": "g0", "task": "gap", "gap": True}]
    more = {"question": "Are there more than {k} {sounds}?", "asks": "more_than", "choices": ["yes", "no"]}
    assert [(c.clip, c.question, c.expected) for c in count.cases(more, params)] == [
        ("c1", "Are there more than 6 knocks?", "yes"), ("c1", "Are there more than 7 knocks?", "no"),
        ("c3", "Are there more than 2 claps?", "yes"), ("c3", "Are there more than 3 claps?", "no")]
    odd = {"question": "Is the {sound} count other than {k_word}?", "asks": "not_exactly", "choices": ["True", "False"],
           "yes_choice": "True"}
    assert [(c.question, c.expected) for c in count.cases(odd, params)] == [
        ("Is the knock count other than six?", "True"), ("Is the knock count other than seven?", "False"),
        ("Is the clap count other than four?", "True"), ("Is the clap count other than three?", "False")]
    how_many = {"question": "How many {sounds}?", "asks": "how_many", "choice_format": "{v_word} times"}
    cases = count.cases(how_many, params)
    assert [c.expected for c in cases] == ["seven times", "three times"]
    assert cases[0].choices.index("seven times") == 0 and cases[1].choices.index("three times") == 1
    assert all(len(set(c.choices)) == 4 for c in cases)
    for w in wordings:  # every template fills in and names its right answer among its choices
        for case in count.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_duration_wordings_never_ask_at_the_measured_length():
    """The duration set: a length drawn as 9 s is measured near 9 s, so "longer than 9 seconds" has no
    right answer; its yes/no templates are asked with the nearest whole seconds other than the length
    (8 and 10), one of each distinct length from 3 s; choices stay apart by seconds."""
    from benchmarks.question_wordings import SETS, load

    duration = SETS["duration"]
    wordings = load("duration")
    assert {w["asks"] for w in wordings} == duration.kinds and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": "d0", "task": "duration", "kind": "hum", "seconds": 9}, {"id": "d1", "task": "duration", "kind": "noise", "seconds": 9},
              {"id": "d2", "task": "duration", "kind": "noise", "seconds": 13}, {"id": "d3", "task": "duration", "kind": "buzz", "seconds": 1}]
    longer = {"question": "Does the {sound} last longer than {k} seconds?", "asks": "longer_than", "choices": ["yes", "no"]}
    assert [(c.clip, c.question, c.expected) for c in duration.cases(longer, params)] == [
        ("d0", "Does the hum last longer than 8 seconds?", "yes"), ("d0", "Does the hum last longer than 10 seconds?", "no"),
        ("d2", "Does the noise last longer than 12 seconds?", "yes"), ("d2", "Does the noise last longer than 14 seconds?", "no")]
    how_long = {"question": "How long?", "asks": "how_long", "choice_format": "{v} s"}
    assert [c.choices for c in duration.cases(how_long, params)] == [("9 s", "3 s", "6 s", "13 s"), ("10 s", "13 s", "17 s", "21 s")]
    for w in wordings:
        for case in duration.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_order_wordings_name_each_clips_sound():
    """The order set: a question names the clip's other sound in its own word ("the beep" for a
    tone) in the question, its choices and its answer; true/false statements expect "true" where
    "yes" would be right."""
    from benchmarks.question_wordings import SETS, load

    order = SETS["order"]
    wordings = load("order")
    assert {w["asks"] for w in wordings} == set(order.kinds) and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": "o0", "task": "order", "speech_first": True, "other": "tone"},
              {"id": "o1", "task": "order", "speech_first": False, "other": "knocks"}]
    which = {"question": "Which comes first, the talking or the {sound}?", "asks": "choice",
             "choices": ["the talking", "the {sound}"], "answer_if_true": "the talking", "answer_if_false": "the {sound}"}
    assert [(c.question, c.choices, c.expected) for c in order.cases(which, params)] == [
        ("Which comes first, the talking or the beep?", ("the talking", "the beep"), "the talking"),
        ("Which comes first, the talking or the knocking?", ("the talking", "the knocking"), "the knocking")]
    statement = {"question": "True or false: the {sound} opens the recording.", "asks": "sound_first",
                 "choices": ["true", "false"], "yes_choice": "true"}
    assert [c.expected for c in order.cases(statement, params)] == ["false", "true"]
    for w in wordings:
        for case in order.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w



def test_tempo_wordings_ask_twenty_bpm_away():
    """The tempo set: a yes/no template is asked of every tempo clip with the nearest k (a multiple of
    5 BPM) at least 20 BPM away each way, the clip's kind named in the singular or plural; a
    how-fast template's choices stay 20 BPM apart and never half or twice the tempo."""
    from benchmarks.question_wordings import SETS, load

    tempo = SETS["tempo"]
    wordings = load("tempo")
    assert {w["asks"] for w in wordings} == tempo.kinds and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": "t0", "task": "tempo", "kind": "knocks", "bpm": 128},
              {"id": "t1", "task": "tempo", "kind": "clicks", "bpm": 60},
              {"id": "t2", "task": "tempo", "kind": "clicks", "bpm": 180}]
    faster = {"question": "Does each {sound} come faster than {k} BPM?", "asks": "faster_than", "choices": ["yes", "no"]}
    assert [(c.clip, c.question, c.expected) for c in tempo.cases(faster, params)] == [
        ("t0", "Does each knock come faster than 105 BPM?", "yes"), ("t0", "Does each knock come faster than 150 BPM?", "no"),
        ("t1", "Does each click come faster than 40 BPM?", "yes"), ("t1", "Does each click come faster than 80 BPM?", "no"),
        ("t2", "Does each click come faster than 160 BPM?", "yes"), ("t2", "Does each click come faster than 200 BPM?", "no")]
    how_fast = {"question": "How fast are the {sounds}?", "asks": "how_fast", "choice_format": "{v} BPM"}
    cases = tempo.cases(how_fast, params)
    assert [c.choices for c in cases] == [("128 BPM", "103 BPM", "153 BPM", "178 BPM"),
                                          ("40 BPM", "60 BPM", "85 BPM", "105 BPM"),
                                          ("155 BPM", "205 BPM", "180 BPM", "230 BPM")]
    assert cases[0].question == "How fast are the knocks?"
    for bpm in range(60, 181):
        for offsets in tempo.apart:
            values = [bpm] + [bpm + d for d in offsets]
            assert all(abs(a - b) >= 20 for a in values for b in values if a != b)
            assert all(abs(v - r * bpm) > 0.08 * r * bpm for v in values[1:] for r in (0.5, 2.0)), (bpm, offsets)
    for w in wordings:
        for case in tempo.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_gender_wordings_expect_the_speakers_gender():
    """The gender set: "yes" to a question that asks for a woman where the speaker is one, the
    other answer where a man speaks; a negated question is labelled by what "yes" means; a
    multiple-choice question names a right choice for each."""
    from benchmarks.question_wordings import SETS, expected, load

    gender = SETS["gender"]
    wordings = load("gender")
    assert {w["asks"] for w in wordings} == set(gender.kinds) and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": f"s{k}", "task": "gender", "female": k % 2 == 0} for k in range(8)]
    rule_out = {"question": "Can we rule out that the speaker is a man?", "asks": "female", "choices": ["yes", "no"]}
    assert [(c.clip, c.expected) for c in gender.cases(rule_out, params)] == [
        ("s0", "yes"), ("s2", "yes"), ("s4", "yes"), ("s1", "no"), ("s3", "no"), ("s5", "no")]
    statement = {"question": "True or false: a man speaks.", "asks": "male", "choices": ["True", "False"], "yes_choice": "True"}
    assert (expected(gender, statement, True), expected(gender, statement, False)) == ("False", "True")
    for w in wordings:
        assert expected(gender, w, True) in w["choices"] and expected(gender, w, False) in w["choices"], w
        assert expected(gender, w, True) != expected(gender, w, False), w["question"]


def test_note_wordings_name_notes_in_scientific_pitch_notation():
    """The note set: a comparison is asked a semitone away each way, never at the note itself; "Is
    this E4?" is asked of the clip's own note and of its nearest neighbour; multiple-choice notes
    with octave ({v_note}) or without ({v_class}) are of four pitch classes, none an octave apart."""
    from benchmarks.question_wordings import SETS, load

    note = SETS["note"]
    wordings = load("note")
    assert {w["asks"] for w in wordings} == note.kinds and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": "n0", "task": "note", "midi": 64}, {"id": "n1", "task": "note", "midi": 69}]
    higher = {"question": "Is the note higher than {k_note}?", "asks": "higher_than", "choices": ["yes", "no"]}
    assert [(c.question, c.expected) for c in note.cases(higher, params)] == [
        ("Is the note higher than D#4?", "yes"), ("Is the note higher than F4?", "no"),
        ("Is the note higher than G#4?", "yes"), ("Is the note higher than A#4?", "no")]
    exact = {"question": "Is this {k_note}?", "asks": "is_note", "choices": ["yes", "no"]}
    assert [(c.question, c.expected) for c in note.cases(exact, params)] == [
        ("Is this E4?", "yes"), ("Is this D#4?", "no"), ("Is this A4?", "yes"), ("Is this A#4?", "no")]
    which = {"question": "Which note?", "asks": "which_class", "choice_format": "the note {v_class}"}
    assert [c.choices for c in note.cases(which, params)] == [
        ("the note E", "the note B", "the note D", "the note G"), ("the note F#", "the note A", "the note B", "the note D")]
    for offsets in note.apart:
        assert len({d % 12 for d in (0, *offsets)}) == 4
    for w in wordings:
        for case in note.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_phrase_wordings_ask_the_clips_own_sentence_and_the_next_ones():
    """The phrase set: a yes/no template is asked of a clip with its own sentence ("said": yes) and
    with the next phrase clip's (no), a negated one the other way; a multiple-choice template
    offers the clip's sentence and the next three clips', the right one at a place that moves."""
    from benchmarks.question_wordings import SETS, load

    phrase = SETS["phrase"]
    wordings = load("phrase")
    assert {w["asks"] for w in wordings} == phrase.kinds and {w["half"] for w in wordings} == {"build", "check"}
    params = [{"id": f"p{k}", "task": "phrase", "sentence": s} for k, s in
              enumerate(["The soup is too salty", "My bus was late", "The dog wants out", "We ran out of milk",
                         "The kettle is boiling"])]
    said = {"question": "Does the speaker say '{phrase_lower}'?", "asks": "said", "choices": ["Yes", "No"],
            "yes_choice": "Yes"}
    assert [(c.clip, c.question, c.expected) for c in phrase.cases(said, params)[:4]] == [
        ("p0", "Does the speaker say 'the soup is too salty'?", "Yes"), ("p0", "Does the speaker say 'my bus was late'?", "No"),
        ("p1", "Does the speaker say 'my bus was late'?", "Yes"), ("p1", "Does the speaker say 'the dog wants out'?", "No")]
    absent = {"question": "Is \"{phrase}\" absent?", "asks": "not_said", "choices": ["true", "false"], "yes_choice": "true"}
    assert [c.expected for c in phrase.cases(absent, params)[:2]] == ["false", "true"]
    which = {"question": "What is said?", "asks": "which", "choice_format": "\"{v}.\""}
    cases = phrase.cases(which, params)
    assert len(cases) == 5 and cases[1].choices == ('"The dog wants out."', '"My bus was late."', '"We ran out of milk."',
                                                      '"The kettle is boiling."')
    assert [c.choices.index(c.expected) for c in cases] == [0, 1, 2, 3, 0]
    assert all(c.expected == f'"{p["sentence"]}."' for c, p in zip(cases, params))
    for w in wordings:
        for case in phrase.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_speech_count_clips_hold_their_drawn_number_of_utterances(tmp_path):
    """benchmarks/speech_count_clips.py: two clips per count from 3 to 6, the same for the same seed;
    each clip holds n stretches of speech: 10 ms frames louder than halfway (in dB) between the noise
    floor and the speech, grouped where under 0.5 s apart (espeak's pauses between words are
    shorter, the drawn ones longer), a group of at least 0.1 s of such frames (not a noise blip)."""
    from benchmarks.speech_count_clips import COUNTS, generate

    params = generate(str(tmp_path / "a"))
    assert collections.Counter(p["n"] for p in params) == {n: 2 for n in COUNTS}
    assert {len(p["voices"]) for p in params} == {1, 2}  # one voice and two in turn both drawn
    for p in params:
        audio, rate = sf.read(tmp_path / "a" / "audio" / f"{p['id']}.wav")
        frames = 20 * np.log10(np.sqrt(np.mean(audio[: len(audio) // 160 * 160].reshape(-1, 160) ** 2, axis=1)) + 1e-9)
        floor, speech = np.percentile(frames, [5, 95])
        loud = np.flatnonzero(frames > (floor + speech) / 2)
        groups = np.split(loud, np.flatnonzero(np.diff(loud) >= 50) + 1)
        stretches = sum(len(g) >= 10 for g in groups)
        assert stretches == p["n"] == len(p["sentences"]), (p["id"], stretches)
    assert generate(str(tmp_path / "b")) == params


def test_speech_count_wordings_fill_in_and_expect_the_clips_count():
    """The speech-count set: its three parts (a build half, a check half, and a second check written
    after the first was read), every kind the set knows, each template filled in with its right
    answer among its choices; "exactly" asks the clip's own count for "yes"."""
    from benchmarks.question_wordings import SETS, load

    speech = SETS["speech_count"]
    wordings = load("speech_count")
    assert {w["asks"] for w in wordings} == speech.kinds and {w["half"] for w in wordings} == {"build", "check", "check2"}
    assert collections.Counter(w["half"] for w in wordings) == {"build": 40, "check": 40, "check2": 40}
    params = [{"id": f"sc-{n}0", "task": "speech_count", "n": n} for n in (3, 4, 5, 6)]
    exactly = {"question": "Does someone speak {k_word} times?", "asks": "exactly", "choices": ["yes", "no"]}
    assert [(c.question, c.expected) for c in speech.cases(exactly, params[:1])] == [
        ("Does someone speak three times?", "yes"), ("Does someone speak two times?", "no")]
    for w in wordings:
        for case in speech.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_speaker_clips_hold_their_drawn_number_of_people(tmp_path):
    """benchmarks/speaker_clips.py: three clips per number of people (1-3), the same for the same
    seed, each person a voice of another pitch band who says at least one sentence; the speaker
    counter, whose line the set's questions are asked with, counts each clip's people."""
    from benchmarks.speaker_clips import COUNTS, PITCH_BANDS, generate
    from tools.base import Audio
    from tools.speakers import SpeakerCountTool

    params = generate(str(tmp_path / "a"))
    assert collections.Counter(p["n"] for p in params) == {n: 3 for n in COUNTS}
    band = {voice: k for k, voices in enumerate(PITCH_BANDS) for voice in voices}
    counter = SpeakerCountTool()
    for p in params:
        assert len({band[v] for v in p["voices"]}) == len(p["voices"]) == p["n"] <= len(p["sentences"])
        samples, rate = sf.read(tmp_path / "a" / "audio" / f"{p['id']}.wav", dtype="float32")
        data, _ = counter.analyze(Audio(path="", sha256="", samples=samples, sample_rate=rate), "", [])
        assert data["count"] == p["n"], p["id"]
    assert generate(str(tmp_path / "b")) == params


def test_speaker_wordings_fill_in_and_expect_the_clips_people():
    """The speaker set: a build and a check half of 40 templates each, a third helper's check2 part and
    a fourth helper's check3 part of 40 (12 asked without a number each way), every kind the set knows; a
    template without a number is asked once per clip, a comparison no k can make "yes" (more than
    k people of one person, k from 1) is left out, and the four choices are one to four in order."""
    from benchmarks.question_wordings import SETS, load

    speakers = SETS["speakers"]
    wordings = load("speakers")
    assert {w["asks"] for w in wordings} == speakers.kinds
    assert collections.Counter(w["half"] for w in wordings) == {"build": 40, "check": 40, "check2": 40, "check3": 40}
    for half in ("check2", "check3"):
        assert collections.Counter(w["asks"] for w in wordings if w["half"] == half)["several"] == 12
    params = [{"id": f"sp-{n}0", "task": "speakers", "n": n} for n in (1, 2, 3)]
    more = {"question": "Do more than {k_word} people speak?", "asks": "more_than", "choices": ["yes", "no"]}
    assert [(c.clip, c.question, c.expected) for c in speakers.cases(more, params)] == [
        ("sp-10", "Do more than one people speak?", "no"),
        ("sp-20", "Do more than one people speak?", "yes"), ("sp-20", "Do more than two people speak?", "no"),
        ("sp-30", "Do more than two people speak?", "yes"), ("sp-30", "Do more than three people speak?", "no")]
    alone = {"question": "Is this a monologue?", "asks": "single", "choices": ["Yes", "No"]}
    assert [c.expected for c in speakers.cases(alone, params)] == ["Yes", "No", "No"]
    how_many = {"question": "How many voices?", "asks": "how_many", "choice_format": "{v_word} voices"}
    cases = speakers.cases(how_many, params)
    assert cases[0].choices == ("one voices", "two voices", "three voices", "four voices")
    assert [c.expected for c in cases] == ["one voices", "two voices", "three voices"]
    for w in wordings:
        for case in speakers.cases(w, params):
            assert case.expected in case.choices and "{" not in case.question + "".join(case.choices), w


def test_wording_items_ask_each_question_of_one_of_its_clips_in_turn(tmp_path):
    """benchmarks/wording_items.py: each wording-set question once, asked of its cases in turn (the
    question's index modulo its cases), with that case's answer; split `build` for build halves,
    `check` for the others; the clips copied beside items.json, which the eval loader reads whole."""
    import soundfile as sf_

    from benchmarks.question_wordings import SETS, load
    from benchmarks.wording_items import wording_items, write
    from env.items import load_items

    params = {"gender": [{"id": f"g{k}", "task": "gender", "female": k % 2 == 0} for k in range(6)],
              "tempo": [{"id": f"t{k}", "task": "tempo", "kind": "knocks", "bpm": 60 + 20 * k} for k in range(6)]}
    for name, clips in params.items():
        os.makedirs(tmp_path / name / "audio")
        for clip in clips:
            sf_.write(tmp_path / name / "audio" / f"{clip['id']}.wav", np.zeros(1600, np.float32), 16000)
    items = wording_items(["gender", "tempo"], params.__getitem__, lambda name: str(tmp_path / name))
    for name in params:
        mine = [i for i in items if i["task"] == name]
        assert len(mine) == len(load(name)) and {i["expert_tool"] for i in mine} == {SETS[name].tool.name}
        for index, (item, wording) in enumerate(zip(mine, load(name))):
            cases = SETS[name].cases(wording, params[name])
            case = cases[index % len(cases)]
            assert (item["question"], item["answer"], item["clip"]) == (case.question, case.expected, case.clip)
            assert item["split"] == ("build" if wording["half"] == "build" else "check")
        assert {i["answer"] for i in mine if i["form"] == "yesno"} >= {"yes", "no"}
    write(items, str(tmp_path / "out"))
    loaded, rejected = load_items(str(tmp_path / "out"), "all")
    assert not rejected and [i.id for i in loaded] == [i["id"] for i in items]
    assert {i.split for i in loaded} == {"build", "check"} and loaded[0].expert_tool == items[0]["expert_tool"]
