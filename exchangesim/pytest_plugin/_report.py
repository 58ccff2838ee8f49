"""What a failed test's report says about the simulator: how to replay it, which faults were active,
what they did, and what the venue logged during the test."""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any

import pytest

__all__ = ["MAX_LOG_LINES", "log_section", "replay_command", "summary_section"]

MAX_LOG_LINES = 2000
MAX_EVENTS = 200


def replay_command(item: pytest.Item, seed: int) -> str:
    """The command line that runs ``item`` again with the same seed (and pytest-randomly's, if active)."""
    config = item.config
    args = [sys.executable, "-m", "pytest", item.nodeid, "--exchangesim-seed", str(seed)]
    scope = config.getoption("exchangesim_scope")
    if scope != "session":
        args += ["--exchangesim-scope", scope]
    randomly = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.hasplugin("randomly") and isinstance(randomly, int):
        args.append(f"--randomly-seed={randomly}")
    command = shlex.join(args)
    if config.invocation_params.dir != config.rootpath:
        command = f"cd {shlex.quote(str(config.rootpath))} && {command}"
    return command


def summary_section(item: pytest.Item, handle: Any, where: str) -> str:
    """Seed, replay command, the faults active now with their keys, and every fault this test injected."""
    lines = [
        f"venue: {where}, seed {handle.seed}",
        f"replay: {replay_command(item, handle.seed)}",
        "",
        "active faults:",
    ]
    try:
        faults = handle.admin.faults()
        active = faults["faults"] + faults.get("header_faults", [])
        lines += [f"  {_fault_line(fault)}" for fault in active] or ["  (none)"]
        if not faults.get("enabled", True):
            lines.append("  ([failures] enabled = false: none acts)")
        injected = handle.faults_injected()
    except Exception as error:  # a daemon that died must not hide the test's own failure
        lines.append(f"  (the venue did not answer: {error})")
        return "\n".join(lines) + "\n"
    lines += ["", f"faults injected during the test: {len(injected)}"]
    shown = injected[-MAX_EVENTS:]
    if len(injected) > len(shown):
        lines.append(f"  ({len(injected) - len(shown)} earlier events left out)")
    lines += [f"  {json.dumps(event, separators=(',', ':'), default=str)}" for event in shown]
    return "\n".join(lines) + "\n"


def log_section(lines: list[str], exited: str = "") -> str:
    """The venue's log lines of the test (the last ``MAX_LOG_LINES``)."""
    text = "".join(lines[-MAX_LOG_LINES:])
    if len(lines) > MAX_LOG_LINES:
        text = f"({len(lines) - MAX_LOG_LINES} earlier lines left out)\n{text}"
    text += exited
    return text or "(nothing was logged during this test)\n"


def _fault_line(fault: dict[str, Any]) -> str:
    keys = " ".join(f"{key}={value}" for key, value in fault.get("given", {}).items() if key != "mode")
    return f"{fault['name']}: mode={fault['mode']} {keys} (hits {fault.get('hits', 0)})".replace("  ", " ")
