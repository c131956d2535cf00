"""File helpers for tests."""

from pathlib import Path

from training.format.io import sha256_file


def folder_digests(folder: str | Path) -> dict[str, str]:
    """{relative path: sha256} of every file under `folder`: two folders are byte-identical when these are equal."""
    root = Path(folder)
    return {str(p.relative_to(root)): sha256_file(p) for p in sorted(root.rglob("*")) if p.is_file()}
