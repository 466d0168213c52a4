"""``freezekit diff OLD NEW``: what changed between two frozen apps (or their archives).

Modules, files and shared libraries added, removed and changed (by content), with size deltas,
and the distributions whose version changed. Each side is anything ``freezekit.inspect.inventory``
reads: a onedir folder or executable, a onefile executable, a published archive.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from freezekit.inspect.inventory import Inventory, read_inventory

KINDS = ("script", "module", "extension", "library", "data")


@dataclass(frozen=True, kw_only=True)
class Change:
    name: str
    kind: str
    old_size: int | None  # None: added
    new_size: int | None  # None: removed

    @property
    def delta(self) -> int:
        return (self.new_size or 0) - (self.old_size or 0)

    @property
    def what(self) -> str:
        if self.old_size is None:
            return "added"
        if self.new_size is None:
            return "removed"
        return "changed"


@dataclass(frozen=True, kw_only=True)
class DistChange:
    name: str
    old_version: str | None
    new_version: str | None


@dataclass(frozen=True, kw_only=True)
class Diff:
    old: Inventory
    new: Inventory
    changes: list[Change] = field(default_factory=list)
    distributions: list[DistChange] = field(default_factory=list)

    @property
    def old_size(self) -> int:
        return sum(item.size for item in self.old.items.values())

    @property
    def new_size(self) -> int:
        return sum(item.size for item in self.new.items.values())

    @property
    def empty(self) -> bool:
        return not self.changes and not self.distributions and self.old.python == self.new.python


def diff_inventories(old: Inventory, new: Inventory) -> Diff:
    result = Diff(old=old, new=new)
    for name in sorted(old.items.keys() | new.items.keys()):
        before, after = old.items.get(name), new.items.get(name)
        if before is not None and after is not None and before.sha256 == after.sha256:
            continue
        result.changes.append(
            Change(
                name=name,
                kind=(after or before).kind,  # type: ignore[union-attr]  # one is set
                old_size=before.size if before else None,
                new_size=after.size if after else None,
            )
        )
    for key in sorted(old.distributions.keys() | new.distributions.keys()):
        before_dist, after_dist = old.distributions.get(key), new.distributions.get(key)
        old_version = before_dist.version if before_dist else None
        new_version = after_dist.version if after_dist else None
        if old_version != new_version:
            name = (after_dist or before_dist).name  # type: ignore[union-attr]  # one is set
            result.distributions.append(
                DistChange(name=name, old_version=old_version, new_version=new_version)
            )
    return result


def diff_paths(old: Path, new: Path) -> Diff:
    return diff_inventories(read_inventory(old), read_inventory(new))


def _signed(size: int) -> str:
    return f"{'+' if size >= 0 else '-'}{_human(abs(size))}"


def _human(size: int) -> str:
    if size < 10_000:
        return f"{size} B"
    if size < 10_000_000:
        return f"{size / 1000:.1f} kB"
    return f"{size / 1_000_000:.1f} MB"


def format_text(diff: Diff) -> str:
    lines = [
        f"old: {diff.old.source} ({diff.old.mode}, Python {diff.old.python}, "
        f"{len(diff.old.items)} items, {_human(diff.old_size)})",
        f"new: {diff.new.source} ({diff.new.mode}, Python {diff.new.python}, "
        f"{len(diff.new.items)} items, {_human(diff.new_size)})",
    ]
    if diff.old.python != diff.new.python:
        lines.append(f"python: {diff.old.python} -> {diff.new.python}")
    if diff.distributions:
        lines.append("distributions:")
        for dist in diff.distributions:
            lines.append(
                f"  {dist.name}: {dist.old_version or '(none)'} -> {dist.new_version or '(none)'}"
            )
    for kind in KINDS:
        changes = [c for c in diff.changes if c.kind == kind]
        if not changes:
            continue
        delta = sum(c.delta for c in changes)
        lines.append(f"{kind}s: {len(changes)} ({_signed(delta)})")
        for change in changes:
            mark = {"added": "+", "removed": "-", "changed": "~"}[change.what]
            lines.append(f"  {mark} {change.name} ({_signed(change.delta)})")
    if diff.empty:
        lines.append("no difference in content")
    else:
        lines.append(f"total: {_signed(diff.new_size - diff.old_size)}")
    return "\n".join(lines)


def format_json(diff: Diff) -> str:
    data = {
        "old": {"source": str(diff.old.source), "mode": diff.old.mode, "python": diff.old.python},
        "new": {"source": str(diff.new.source), "mode": diff.new.mode, "python": diff.new.python},
        "size_delta": diff.new_size - diff.old_size,
        "distributions": [
            {"name": d.name, "old": d.old_version, "new": d.new_version} for d in diff.distributions
        ],
        "changes": [
            {
                "name": c.name,
                "kind": c.kind,
                "change": c.what,
                "old_size": c.old_size,
                "new_size": c.new_size,
                "delta": c.delta,
            }
            for c in diff.changes
        ],
    }
    return json.dumps(data, indent=2, sort_keys=True)
