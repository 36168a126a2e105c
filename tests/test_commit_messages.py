"""Commit messages since the layering (issue 15): an imperative subject of at most 72
characters, a blank line, then the why (CONTRIBUTING.md).

Earlier history is left as it is; every commit after `SINCE` is checked. Skipped outside a
git checkout or in a shallow clone that does not reach `SINCE`.
"""

from __future__ import annotations

import pathlib
import shutil
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
SINCE = "9e736fc"  # the last commit before the rule was written down
MAX_SUBJECT = 72
# a subject starts with a verb in the imperative: not "Adds", "Added", "Adding"
NOT_IMPERATIVE_ENDINGS = ("ed", "ing")
ALLOWED_PAST_FORMS = {"Embed", "Feed", "Need", "Seed", "Shed", "Speed", "Bring", "Sing", "String", "Ring"}


def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def messages() -> list[tuple[str, str]]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    try:
        git("cat-file", "-e", f"{SINCE}^{{commit}}")
    except subprocess.CalledProcessError:
        pytest.skip(f"history does not reach {SINCE} (a shallow clone)")
    out = git("log", "--format=%H%x00%B%x1e", f"{SINCE}..HEAD")
    return [tuple(entry.strip("\n").split("\x00", 1)) for entry in out.split("\x1e") if entry.strip()]


def problems(message: str) -> list[str]:
    lines = message.rstrip("\n").split("\n")
    subject = lines[0]
    found = []
    if len(subject) > MAX_SUBJECT:
        found.append(f"subject of {len(subject)} characters (at most {MAX_SUBJECT})")
    if subject.endswith("."):
        found.append("subject ends with a full stop")
    first = subject.split(":")[-1].strip().split(" ")[0] if subject else ""
    if first and first not in ALLOWED_PAST_FORMS and (first.endswith(NOT_IMPERATIVE_ENDINGS) or
                                                     (first.endswith("s") and not first.endswith("ss"))):
        found.append(f"subject starts with {first!r}, not an imperative verb")
    if len(lines) > 1 and lines[1] != "":
        found.append("no blank line after the subject")
    if len(lines) < 3 or not any(line.strip() for line in lines[2:]):
        found.append("no body saying why")
    return found


def test_commit_messages_follow_the_rule():
    bad = [f"{sha[:9]} {msg.splitlines()[0][:80]!r}: {', '.join(p)}"
           for sha, msg in messages() if (p := problems(msg))]
    assert bad == [], "commit messages that break CONTRIBUTING.md:\n" + "\n".join(bad)


@pytest.mark.parametrize("message, ok", [
    ("Split the chain by job\n\nWhy: five jobs in one file.", True),
    ("Splits the chain by job\n\nWhy.", False),
    ("Split the chain by job\nWhy.", False),
    ("Split the chain by job", False),
    ("Split " + "x" * 80 + "\n\nWhy.", False),
    ("Split the chain.\n\nWhy.", False),
    ("tests: add a layer test\n\nWhy.", True),
])
def test_the_rule_itself(message, ok):
    assert (problems(message) == []) is ok
