"""`manifest.json` of a dataset snapshot: parse + validate, or build. See docs/dataset-format.md."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from training.format.schema import FORMAT_VERSION, KINDS, SPLITS, check_format_version
from training.format.specials import DatasetError

MANIFEST = "manifest.json"
FILE_FORMATS = ("jsonl", "parquet")
_DOC = "see docs/dataset-format.md"


@dataclass
class ManifestFile:
    path: str  # relative to the snapshot folder, POSIX separators, no '..'
    kind: str  # every example in the file has this kind
    format: str  # "jsonl" | "parquet"
    num_examples: int
    sha256: str  # hex digest of the file's bytes
    split: str = "train"  # "train" | "validation" (format 1.1; absent in 1.0 files = "train")


@dataclass
class Manifest:
    format_version: str
    created_at: str  # ISO 8601 UTC, e.g. "2025-01-31T12:00:00Z"
    files: list[ManifestFile]
    source: dict[str, Any] = field(default_factory=dict)  # free-form provenance (exporter, campaign ids, ...)
    mixture: dict[str, float] = field(default_factory=dict)  # optional default weights per kind

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def num_examples(self, kind: str, split: str | None = None) -> int:
        return sum(f.num_examples for f in self.files if f.kind == kind and split in (None, f.split))


def _need(cond: bool, where: Path, what: str) -> None:
    if not cond:
        raise DatasetError(f"{where}: {what}; fix the manifest ({_DOC})")


def _parse_file(entry: Any, i: int, where: Path) -> ManifestFile:
    _need(isinstance(entry, dict), where, f"files[{i}] is not an object")
    keys = {"path", "kind", "format", "num_examples", "sha256"}
    _need(keys <= set(entry), where, f"files[{i}] lacks {', '.join(sorted(keys - set(entry)))}")
    path = entry["path"]
    pure = PurePosixPath(path) if isinstance(path, str) else None
    _need(
        pure is not None and path != "" and not pure.is_absolute() and ".." not in pure.parts,
        where,
        f"files[{i}].path {path!r} must be a relative path inside the snapshot",
    )
    _need(entry["kind"] in KINDS, where, f"files[{i}].kind {entry['kind']!r} is not one of {', '.join(KINDS)}")
    _need(
        entry["format"] in FILE_FORMATS,
        where,
        f"files[{i}].format {entry['format']!r} is not jsonl or parquet",
    )
    n = entry["num_examples"]
    _need(isinstance(n, int) and not isinstance(n, bool) and n >= 0, where, f"files[{i}].num_examples {n!r}")
    digest = entry["sha256"]
    _need(
        isinstance(digest, str) and len(digest) == 64 and all(c in "0123456789abcdef" for c in digest),
        where,
        f"files[{i}].sha256 must be 64 lowercase hex digits",
    )
    split = entry.get("split", "train")
    _need(split in SPLITS, where, f"files[{i}].split {split!r} is not one of {', '.join(SPLITS)}")
    unknown = sorted(set(entry) - keys - {"split"})
    _need(not unknown, where, f"files[{i}] has unknown field(s) {', '.join(unknown)}")
    return ManifestFile(path, entry["kind"], entry["format"], n, digest, split)


def _parse_mixture(value: Any, where: Path) -> dict[str, float]:
    _need(isinstance(value, dict), where, "mixture must be an object {kind: weight}")
    for kind, weight in value.items():
        _need(kind in KINDS, where, f"mixture kind {kind!r} is not one of {', '.join(KINDS)}")
        ok = isinstance(weight, int | float) and not isinstance(weight, bool) and weight >= 0
        _need(ok, where, f"mixture weight for {kind} must be a number >= 0")
    return {k: float(v) for k, v in value.items()}


def read_manifest(snapshot: Path) -> Manifest:
    """Parse and validate `<snapshot>/manifest.json` (files themselves are checked when read)."""
    snapshot = Path(snapshot)
    if not snapshot.is_dir():
        raise DatasetError(f"{snapshot}: no such dataset snapshot folder; check the path ({_DOC})")
    where = snapshot / MANIFEST
    if not where.is_file():
        raise DatasetError(f"{where}: missing; a snapshot folder needs a manifest.json ({_DOC})")
    try:
        raw = json.loads(where.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise DatasetError(f"{where}: not valid JSON ({err}); re-export the snapshot") from None
    _need(isinstance(raw, dict), where, "the manifest must be a JSON object")
    _need("format_version" in raw, where, "no format_version")
    try:
        check_format_version(raw["format_version"])
    except ValueError as err:
        raise DatasetError(f"{where}: {err}; re-export with a matching exporter or upgrade the trainer") from None
    _need(isinstance(raw.get("created_at"), str), where, "created_at must be an ISO 8601 string")
    _need(isinstance(raw.get("files"), list) and raw["files"], where, "files must be a non-empty list")
    _need(isinstance(raw.get("source", {}), dict), where, "source must be an object")
    files = [_parse_file(e, i, where) for i, e in enumerate(raw["files"])]
    dupes = sorted({f.path for f in files if sum(g.path == f.path for g in files) > 1})
    _need(not dupes, where, f"files listed twice: {', '.join(dupes)}")
    return Manifest(
        format_version=raw["format_version"],
        created_at=raw["created_at"],
        files=files,
        source=raw.get("source", {}),
        mixture=_parse_mixture(raw.get("mixture", {}), where),
    )


def new_manifest(files: list[ManifestFile], *, created_at: str, source: dict, mixture: dict) -> Manifest:
    return Manifest(FORMAT_VERSION, created_at, files, dict(source), dict(mixture))
