"""Special tokens of the rendering (names -> SentencePiece pieces) and the format's error type.

Every special token is a SentencePiece *control symbol*: it has a fixed id, it is one atomic token, and
`encode(text)` never produces it, so no user text (e.g. a chat message that says "RESPONSE" or "<TS>") can
forge one. Renderers insert them by id via `tok.special_id(NAME)`.
"""

from __future__ import annotations

from training.errors import TrainInputError

# SentencePiece's own reserved pieces, with the ids the tokenizer trainer gives them.
UNK, BOS, EOS, PAD = "<unk>", "<s>", "</s>", "<pad>"
RESERVED_IDS = {"UNK": 0, "BOS": 1, "EOS": 2, "PAD": 3}
RESERVED_PIECES = {"UNK": UNK, "BOS": BOS, "EOS": EOS, "PAD": PAD}

# Control symbols, in id order right after the reserved ones (ids 4, 5, ...). Append only: never reorder.
CONTROL_PIECES: dict[str, str] = {
    "RESPONSE": "<RESPONSE>",  # the sentinel between the dialog context and the response
    "TURN": "<turn>",  # separates consecutive context turns
    "SENSIBLE": "<SENSIBLE>",
    "SPECIFIC": "<SPECIFIC>",
    "INTERESTING": "<INTERESTING>",
    "UNSAFE": "<UNSAFE>",
    "GROUNDED": "<GROUNDED>",  # groundedness: rating 1 = correct, 0 = incorrect
    "RATING_0": "<0>",
    "RATING_1": "<1>",
    "RESEARCH": "<RESEARCH>",  # cue: "now emit the next research output (TS, ... or User, ...)"
    "TS": "<TS>",  # routing word "TS," : the text after it is a toolset query
    "USER": "<User>",  # routing word "User," : the text after it is the grounded reply to the user
    "SNIPPET": "<SNIPPET>",  # precedes each toolset result snippet
}

# Every name `tok.special_id(name)` knows. EOR (end of a response / of a research output) is the eos token.
SPECIAL_TOKENS: dict[str, str] = {**RESERVED_PIECES, "EOR": EOS, **CONTROL_PIECES}


class DatasetError(TrainInputError, ValueError):
    """A dataset problem a user can fix. `str(err)` is one line: '<file>: <what is wrong>; <how to fix>'."""
