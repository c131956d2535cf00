"""The three training-example kinds (LAMDA-SPEC §3), their JSON form, and the format version.

Constructors validate, raising ValueError with a short message; snapshot readers prefix it with the file and
line (see `training.format.io`). The JSON form of each kind is documented in docs/dataset-format.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

FORMAT_VERSION = "1.1"  # MAJOR.MINOR; readers accept the same MAJOR with MINOR <= theirs (1.1 added files[].split)
KINDS = ("generative", "discriminative", "research")
SPLITS = ("train", "validation")  # files[].split; absent = "train"
ATTRIBUTES = ("SENSIBLE", "SPECIFIC", "INTERESTING", "UNSAFE", "GROUNDED")
ROUTES = {"TS,": "TS", "User,": "USER"}  # research target prefix -> special token name


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string, got {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{what} is empty")
    return value


def _texts(value: Any, what: str) -> list[str]:
    if not isinstance(value, list | tuple):
        raise ValueError(f"{what} must be a list of strings, got {type(value).__name__}")
    return [_text(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _opt_id(value: Any) -> str | None:
    if value is not None and not isinstance(value, str):
        raise ValueError(f"id must be a string or null, got {type(value).__name__}")
    return value


@dataclass
class GenerativeExample:
    """`<context> RESPONSE <response>`: loss on the response tokens (and the end-of-response token)."""

    kind: ClassVar[str] = "generative"
    context: list[str]
    response: str
    id: str | None = None

    def __post_init__(self) -> None:
        self.context = _texts(self.context, "context")
        self.response = _text(self.response, "response")
        self.id = _opt_id(self.id)


@dataclass
class DiscriminativeExample:
    """`<context> RESPONSE <response> <attribute> <rating>`: loss on the rating token only."""

    kind: ClassVar[str] = "discriminative"
    context: list[str]
    response: str
    attribute: str
    rating: int
    id: str | None = None

    def __post_init__(self) -> None:
        self.context = _texts(self.context, "context")
        self.response = _text(self.response, "response")
        if self.attribute not in ATTRIBUTES:
            raise ValueError(f"attribute {self.attribute!r} is not one of {', '.join(ATTRIBUTES)}")
        if isinstance(self.rating, bool) or self.rating not in (0, 1):
            raise ValueError(f"rating must be the integer 0 or 1, got {self.rating!r}")
        self.id = _opt_id(self.id)


@dataclass
class ResearchStep:
    """One earlier toolset call: the query the model emitted and the snippets it returned (may be [])."""

    query: str
    snippets: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.query = _text(self.query, "history query")
        self.snippets = _texts(self.snippets, "history snippets")


@dataclass
class ResearchExample:
    """Context + base response + earlier (query, snippets) steps -> `TS, <query>` or `User, <response>`."""

    kind: ClassVar[str] = "research"
    context: list[str]
    base_response: str
    history: list[ResearchStep]
    target: str
    id: str | None = None

    def __post_init__(self) -> None:
        self.context = _texts(self.context, "context")
        self.base_response = _text(self.base_response, "base_response")
        if not isinstance(self.history, list | tuple):
            raise ValueError(f"history must be a list, got {type(self.history).__name__}")
        self.history = [_step(s, i) for i, s in enumerate(self.history)]
        _text(self.target, "target")
        self.route  # noqa: B018 - validates the prefix
        _text(self.target_text, "target text after the routing word")
        self.id = _opt_id(self.id)

    @property
    def route(self) -> str:
        """'TS' (a toolset query) or 'USER' (reply to the user): the special token the target starts with."""
        for prefix, name in ROUTES.items():
            if self.target.startswith(prefix):
                return name
        raise ValueError(f"target must start with 'TS,' or 'User,', got {self.target[:30]!r}")

    @property
    def target_text(self) -> str:
        prefix = next(p for p, n in ROUTES.items() if n == self.route)
        return self.target[len(prefix) :].strip()


Example = GenerativeExample | DiscriminativeExample | ResearchExample
_CLASSES: dict[str, type] = {c.kind: c for c in (GenerativeExample, DiscriminativeExample, ResearchExample)}
_FIELDS = {
    "generative": {"context", "response"},
    "discriminative": {"context", "response", "attribute", "rating"},
    "research": {"context", "base_response", "history", "target"},
}
OPTIONAL_FIELDS = {"id"}


def _step(value: Any, i: int) -> ResearchStep:
    if isinstance(value, ResearchStep):
        return value
    if not isinstance(value, dict) or set(value) - {"query", "snippets"} or "query" not in value:
        raise ValueError(f"history[{i}] must be an object {{'query': str, 'snippets': [str, ...]}}")
    return ResearchStep(query=value["query"], snippets=value.get("snippets") or [])


def example_to_dict(ex: Example) -> dict[str, Any]:
    """The JSON object of one example (one JSONL line / one Parquet row)."""
    d: dict[str, Any] = {"kind": ex.kind, "context": list(ex.context)}
    if isinstance(ex, ResearchExample):
        d["base_response"] = ex.base_response
        d["history"] = [{"query": s.query, "snippets": list(s.snippets)} for s in ex.history]
        d["target"] = ex.target
    else:
        d["response"] = ex.response
        if isinstance(ex, DiscriminativeExample):
            d["attribute"] = ex.attribute
            d["rating"] = ex.rating
    if ex.id is not None:
        d["id"] = ex.id
    return d


def example_from_dict(d: Any) -> Example:
    """Validate one JSON object and build its example; ValueError with a short reason when it is malformed."""
    if not isinstance(d, dict):
        raise ValueError(f"expected a JSON object, got {type(d).__name__}")
    kind = d.get("kind")
    if kind not in _CLASSES:
        raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")
    present = {k for k, v in d.items() if v is not None} - {"kind"}
    missing = sorted(_FIELDS[kind] - present)
    unknown = sorted(present - _FIELDS[kind] - OPTIONAL_FIELDS)
    if missing:
        raise ValueError(f"{kind} example is missing field(s) {', '.join(missing)}")
    if unknown:
        raise ValueError(f"{kind} example has unknown field(s) {', '.join(unknown)}")
    return _CLASSES[kind](**{k: d[k] for k in present})


def check_format_version(version: Any) -> None:
    """Accept 'MAJOR.MINOR' with our MAJOR and a MINOR no newer than ours; ValueError otherwise."""
    ours = tuple(int(x) for x in FORMAT_VERSION.split("."))
    try:
        major, minor = (int(x) for x in str(version).split("."))
    except ValueError:
        raise ValueError(f"format_version {version!r} is not 'MAJOR.MINOR'") from None
    if not isinstance(version, str) or major != ours[0] or minor > ours[1]:
        raise ValueError(f"unsupported format_version {version!r}; this trainer reads {ours[0]}.0 to {FORMAT_VERSION}")
