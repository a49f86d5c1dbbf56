"""Writing and checking generated files: shared by `todochat slo rules` and `todochat dashboards build`.

A generator returns {relative path: text}; these functions are the only ones that touch the disk. Files in
the `owned` folder matching `pattern` that the generator no longer makes are leftovers: stale, and removed.
"""

from __future__ import annotations

from pathlib import Path


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


def _leftovers(files: dict[str, str], out_dir: Path, owned: str, pattern: str) -> list[Path]:
    folder = out_dir / owned
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob(pattern)) if f"{owned}/{p.name}" not in files]


def stale_files(files: dict[str, str], out_dir: Path, *, owned: str, pattern: str) -> list[Path]:
    """Generated files on disk that differ from `files`, are missing, or are no longer generated."""
    stale = [out_dir / rel for rel, text in files.items() if _read(out_dir / rel) != text]
    return stale + _leftovers(files, out_dir, owned, pattern)


def write_files(files: dict[str, str], out_dir: Path, *, owned: str, pattern: str) -> list[Path]:
    """Write the generated files and remove leftovers; returns the paths written."""
    for old in _leftovers(files, out_dir, owned, pattern):
        old.unlink()
    written = []
    for rel, text in sorted(files.items()):
        path = out_dir / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
