"""Cleaning up the embedded store: leftovers of killed builds, and builds no reader holds any more."""
from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

from .reader import current_build


def link_or_copy(src: Path, dst: Path) -> None:
    try:
        os.link(src, dst)
    except OSError:  # a file system without hard links
        shutil.copy2(src, dst)


def remove_leftovers(root: Path) -> None:
    """Temporary folders of builds that were killed (only the lock holder builds, and it holds the lock)."""
    for tmp in root.glob(".build-*.tmp"):
        shutil.rmtree(tmp, ignore_errors=True)


def remove_old_builds(root: Path) -> None:
    """Every build but the live one, unless a reader still holds it (it goes at a later build)."""
    live = current_build(root)
    for build in root.glob("build-*"):
        if build == live:
            continue
        try:
            with open(build / ".readers", "a") as readers:
                fcntl.flock(readers, fcntl.LOCK_EX | fcntl.LOCK_NB)
                (build / "manifest.json").unlink(missing_ok=True)  # first: a reader that gets in next sees it is gone
                shutil.rmtree(build, ignore_errors=True)
        except BlockingIOError:
            continue  # in use
        except OSError:
            shutil.rmtree(build, ignore_errors=True)
