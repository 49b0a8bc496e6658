"""What counts as a mutating AWS call: the one definition every test and benchmark uses."""
from __future__ import annotations

# An action is a read when its name starts with one of these verbs; every other action mutates.
READ_PREFIXES = (
    "Describe", "Get", "List", "Head", "Receive", "Test", "Lookup", "Search", "Query", "Scan",
    "Filter", "Validate", "Check", "Estimate", "Preview", "Simulate", "BatchGet", "Select",
)


def is_mutating(action: str | None) -> bool:
    """True for an action that changes something (CreateQueue, PutRule, RunTask, ...)."""
    if not action:
        return False
    if " " in action:  # REST-style call recorded as "METHOD /path"
        return action.split(" ", 1)[0] not in ("GET", "HEAD", "OPTIONS")
    return not action.startswith(READ_PREFIXES)
