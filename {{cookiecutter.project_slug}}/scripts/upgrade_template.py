"""Merge a newer release of the project template into this project, keeping your own changes.

    python scripts/upgrade_template.py [--template SRC] [--ref REF] [--from REF]

The branch `template` holds one commit per clean render of the template with this project's
answers (.cookiecutter.json). An upgrade renders the new release onto it and runs
`git merge template`, so git's three-way merge sees only what the template changed since the
previous render: your edits stay, and a line both sides changed is left as a conflict. The first
upgrade starts the branch with a render of the release that made the project ([tool.template]
in pyproject.toml, tag v<version>) and records it with `git merge -s ours`, which changes no file.
Needs git and cookiecutter; only cookiecutter's clone of the template source uses the network.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterator
from pathlib import Path

try:
    from cookiecutter.main import cookiecutter
except ImportError:
    sys.exit("upgrade_template: cookiecutter is missing; pip install 'cookiecutter>=2.7'")

BRANCH = "template"
ROOT = Path(__file__).resolve().parents[1]
# Committer used only where git has no identity configured at all.
FALLBACK_IDENTITY = {"user.name": "upgrade_template", "user.email": "upgrade-template@localhost"}


class UpgradeError(Exception):
    """A reason to stop, reported in one line."""


def git(*args: str, cwd: Path = ROOT, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run git, so a failure stops the upgrade with git's own words."""
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise failure(result)
    return result


def failure(result: subprocess.CompletedProcess[str]) -> UpgradeError:
    """The first line git printed, which names the problem."""
    lines = (result.stderr or result.stdout).strip().splitlines() or ["(no output)"]
    return UpgradeError(f"git: {lines[0]}")


def identity() -> list[str]:
    """Commits are the user's; a placeholder fills in only what git does not know."""
    options: list[str] = []
    for key, fallback in FALLBACK_IDENTITY.items():
        if not git("config", key, check=False).stdout.strip():
            options += ["-c", f"{key}={fallback}"]
    return options


def recorded(project: Path, key: str) -> str | None:
    """What a tree's pyproject.toml records of the template that rendered it ([tool.template]):
    the release (version) or where the template lives (source)."""
    with (project / "pyproject.toml").open("rb") as file:
        value = tomllib.load(file).get("tool", {}).get("template", {}).get(key)
    return value if isinstance(value, str) else None


def source(template: str) -> str:
    """Cookiecutter checks out a ref only in a clone, so a local checkout is cloned like a URL."""
    path = Path(template).expanduser()
    return f"git+{path.resolve().as_uri()}" if path.is_dir() else template


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """The template's hook prints next steps for a new project, which mislead during an upgrade."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "w") as devnull:
        os.dup2(devnull.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def render(template: str, ref: str | None, worktree: Path, who: list[str]) -> str:
    """Commit a clean render at ref onto the worktree's branch, unless it changed nothing."""
    answers = json.loads((ROOT / ".cookiecutter.json").read_text(encoding="utf-8"))
    where = f"{template} at {ref or 'its default branch'}"
    with tempfile.TemporaryDirectory() as output:
        try:
            with quiet_stdout():
                made = cookiecutter(
                    source(template),
                    checkout=ref,
                    no_input=True,  # a question added since takes its default
                    extra_context=answers["cookiecutter"],
                    output_dir=output,
                )
        except Exception as error:  # a bad source or ref, or a hook refusing the answers
            raise UpgradeError(f"cannot render {where}: {' '.join(str(error).split())}") from error
        git("rm", "-r", "-q", "-f", "--ignore-unmatch", ".", cwd=worktree)
        # .env holds a fresh secret from the hook; it never belongs in git.
        ignore = shutil.ignore_patterns(".env")
        shutil.copytree(str(made), worktree, dirs_exist_ok=True, ignore=ignore)
    git("add", "-A", cwd=worktree)
    version = recorded(worktree, "version") or "unknown"
    if git("status", "--porcelain", cwd=worktree).stdout.strip():
        message = f"Template {version}: clean render of {where}"
        git(*who, "commit", "-q", "--no-verify", "-m", message, cwd=worktree)
    return version


def upgrade(template: str, ref: str | None, from_ref: str | None) -> int:
    """Render onto the template branch in a temporary worktree, then merge it into HEAD."""
    if git("rev-parse", "--show-toplevel", check=False).stdout.strip() != str(ROOT):
        raise UpgradeError(f"{ROOT} is not the top of a git repository; git init and commit first")
    if git("rev-parse", "--verify", "-q", "HEAD", check=False).returncode:
        raise UpgradeError("the repository has no commit yet; commit the project first")
    if git("status", "--porcelain").stdout.strip():
        raise UpgradeError("the work tree has uncommitted changes; commit or stash them first")
    who = identity()
    first = git("rev-parse", "--verify", "-q", f"refs/heads/{BRANCH}", check=False).returncode != 0
    if first and from_ref is None:
        made_by = recorded(ROOT, "version")
        if made_by is None:
            raise UpgradeError("pyproject.toml has no [tool.template] version; pass --from REF")
        from_ref = f"v{made_by}"
    git("worktree", "prune")
    base = None
    with tempfile.TemporaryDirectory() as scratch:
        worktree = Path(scratch) / BRANCH
        try:
            if first:
                git("worktree", "add", "-q", "--detach", str(worktree))
                git("checkout", "-q", "--orphan", BRANCH, cwd=worktree)
                render(template, from_ref, worktree, who)
                base = git("rev-parse", "HEAD", cwd=worktree).stdout.strip()
            else:
                git("worktree", "add", "-q", str(worktree), BRANCH)
            version = render(template, ref, worktree, who)
        except BaseException:
            if first:  # leave no half-made branch behind, so the next run starts afresh
                git("worktree", "remove", "--force", str(worktree), check=False)
                git("branch", "-D", BRANCH, check=False)
            raise
        finally:
            git("worktree", "remove", "--force", str(worktree), check=False)
    if base:
        note = f"Record the template render this project started from ({from_ref})"
        git(*who, "merge", "-q", "-s", "ours", "--allow-unrelated-histories", "-m", note, base)
    # Merged even when the render changed nothing: an earlier merge may have been aborted.
    head = git("rev-parse", "HEAD").stdout
    message = f"Upgrade to template {version}"
    merged = git(*who, "merge", "-q", "--no-edit", "-m", message, BRANCH, check=False)
    if merged.returncode:
        conflicted = git("diff", "--name-only", "--diff-filter=U").stdout.splitlines()
        if not conflicted:
            raise failure(merged)
        print(
            f"upgrade_template: conflicts in {', '.join(conflicted)}; resolve them and commit,"
            " or git merge --abort",
            file=sys.stderr,
        )
        return 1
    if git("rev-parse", "HEAD").stdout == head:
        print(f"upgrade_template: already at template {version}; nothing to merge")
    else:
        print(f"upgrade_template: merged template {version}; review it with git show --stat HEAD")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and report any failure in one line."""
    parser = argparse.ArgumentParser(description="Merge a newer template release into the project.")
    default = recorded(ROOT, "source")
    parser.add_argument(
        "--template", default=default, help=f"template source ([tool.template] source: {default})"
    )
    parser.add_argument("--ref", help="tag, branch or commit to take (the default branch)")
    parser.add_argument("--from", dest="from_ref", help="ref that made the project (v<version>)")
    args = parser.parse_args(argv)
    if args.template is None:
        parser.error("pyproject.toml has no [tool.template] source; pass --template SRC")
    try:
        return upgrade(args.template, args.ref, args.from_ref)
    except UpgradeError as error:
        print(f"upgrade_template: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
