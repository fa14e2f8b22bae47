"""Refuse a bad key=value answer given to the cookiecutter command before cookiecutter reads it.

cookiecutter checks choice and yes/no answers from its command line while it loads
cookiecutter.json, and a bad one ends in a Python traceback; an empty project name derives an
empty slug, and generation stops at '"<dir>" directory already exists'. Both happen before
pre_gen_project runs. This hook runs earlier, but is given no context: it reads the command line
of the cookiecutter process that started it (Linux's /proc; elsewhere it does nothing) and applies
pre_gen_project's rules to the answers given there.

cookiecutter runs this script without rendering it, from a temporary copy of the template, with
that copy as the working directory and the copy's hooks/ first on sys.path. Standard library and
the sibling hook only; no network; it changes nothing but the copy, so it is safe to re-run.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pre_gen_project as rules

# How cookiecutter reads a yes/no answer given on its command line (its YesNoPrompt).
BOOLEAN_WORDS = {
    **dict.fromkeys(("1", "true", "t", "yes", "y", "on"), True),
    **dict.fromkeys(("0", "false", "f", "no", "n", "off"), False),
}

# cookiecutter's options that take a value (cookiecutter/cli.py); every other option is a flag.
VALUE_OPTIONS = frozenset(
    {
        "-c",
        "--checkout",
        "--directory",
        "-o",
        "--output-dir",
        "--config-file",
        "--replay-file",
        "--debug-file",
        "--accept-hooks",
    }
)
VALUE_SHORT_OPTIONS = frozenset({"c", "o"})


def parent_command_line() -> list[str]:
    """Read the arguments of the process that ran this hook, or none where /proc is missing."""
    try:
        raw = Path(f"/proc/{os.getppid()}/cmdline").read_bytes()
    except OSError:
        return []
    return [os.fsdecode(arg) for arg in raw.split(b"\0")[:-1]]


def cookiecutter_arguments(argv: Sequence[str]) -> list[str] | None:
    """Return what the cookiecutter command was given, or None if argv is another program.

    The console script runs as `python .../bin/cookiecutter ARGS`, the module as
    `python [options] -m cookiecutter ARGS`; anything else (pytest, cruft, a script using the
    Python API) passed its answers some other way.
    """
    for index, arg in enumerate(argv[1:], start=1):
        if arg == "-m":
            is_cookiecutter = argv[index + 1 : index + 2] == ["cookiecutter"]
            return list(argv[index + 2 :]) if is_cookiecutter else None
        if arg.startswith("-m"):
            return list(argv[index + 1 :]) if arg == "-mcookiecutter" else None
        if not arg.startswith("-"):
            return list(argv[index + 1 :]) if Path(arg).name == "cookiecutter" else None
    return None


def extra_context(args: Sequence[str]) -> dict[str, str]:
    """Pick the key=value arguments that follow the template, as cookiecutter's parser does."""
    positional: list[str] = []
    rest = iter(args)
    for arg in rest:
        if arg == "--":
            positional.extend(rest)
        elif arg in VALUE_OPTIONS:
            next(rest, None)
        elif arg.startswith("-") and not arg.startswith("--") and len(arg) > 1:
            # Short flags cluster; -c or -o takes the rest of the cluster, or the next argument.
            for position, letter in enumerate(arg[1:], start=2):
                if letter in VALUE_SHORT_OPTIONS:
                    if position == len(arg):
                        next(rest, None)
                    break
        elif not arg.startswith("-"):
            positional.append(arg)
    pairs = (item.split("=", 1) for item in positional[1:] if "=" in item)
    return {key: value for key, value in pairs}


def answers_given(context: dict[str, str]) -> dict[str, Any]:
    """Keep the answers to the template's questions, with yes/no words read as cookiecutter does."""
    answers: dict[str, Any] = {}
    for field, text in context.items():
        if field not in rules.CHECKS:
            continue  # cookiecutter ignores unknown keys too
        if field in rules.BOOLEANS:
            answers[field] = BOOLEAN_WORDS.get(text.strip().lower(), text)
        else:
            answers[field] = text
    return answers


def remove_template_copy(copy: Path) -> bool:
    """Delete the copy of the template made for this hook: cookiecutter leaves it if we fail."""
    holder = copy.parent
    temporary = Path(tempfile.gettempdir()).resolve()
    if holder.parent.resolve() != temporary or not holder.name.startswith("cookiecutter"):
        return False
    if [entry.name for entry in holder.iterdir()] != [copy.name]:
        return False
    shutil.rmtree(holder)
    return True


def refusal(argv: Sequence[str]) -> str | None:
    """Return the first bad answer the cookiecutter command line in argv gives, as one line."""
    args = cookiecutter_arguments(argv)
    if args is None:
        return None
    errors = rules.validate(answers_given(extra_context(args)), given_only=True)
    return errors[0] if errors else None


def main() -> int:
    """Stop with one line naming the field and what it allows, before cookiecutter's traceback."""
    problem = refusal(parent_command_line())
    if problem is None:
        return 0
    print(problem, file=sys.stderr)
    remove_template_copy(Path.cwd())
    return 1


if __name__ == "__main__":
    sys.exit(main())
