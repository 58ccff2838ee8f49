"""``exchangesim COMMAND ...``: the console script, its help, and each command handing the rest of the line
to the tool it names, as that tool's ``python -m`` form does."""

from importlib.metadata import entry_points

import pytest

from exchangesim import __version__
from exchangesim.cli import COMMANDS, main
from exchangesim.client import cli as client_cli
from exchangesim.config import render_ini
from exchangesim.failures.__main__ import main as list_modes
from exchangesim.persistence.__main__ import main as persistence_main


def exit_status(argv):
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    return stopped.value.code


def test_the_console_script_is_the_dispatcher():
    [script] = entry_points(group="console_scripts", name="exchangesim")
    assert script.value == "exchangesim.cli:main"


def test_help_lists_every_command_with_one_line_and_its_python_m_form(capsys):
    assert exit_status(["--help"]) == 0
    printed = " ".join(capsys.readouterr().out.split())  # argparse wraps to the terminal's width
    assert list(COMMANDS) == ["replay", "recover", "config", "faults", "dashboard", "scenarios"]
    for name, command in COMMANDS.items():
        assert f"{name} {command.summary}" in printed
        assert f"{name} {command.also}" in printed


def test_version_and_the_refusals_of_a_line_without_a_known_command(capsys):
    assert exit_status(["--version"]) == 0
    assert capsys.readouterr().out == f"exchangesim {__version__}\n"
    assert exit_status([]) == 2
    assert "the following arguments are required: COMMAND" in capsys.readouterr().err
    assert exit_status(["replays"]) == 2
    assert "invalid choice: 'replays'" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("command", "options"), [("replay", ["--fills", "fills.csv"]), ("recover", ["--salvage"])]
)
def test_replay_and_recover_are_the_persistence_tool(command, options, tmp_path, capsys):
    line = [*options, str(tmp_path / "missing")]
    expected_status = persistence_main([command, *line])
    expected = capsys.readouterr()
    assert main([command, *line]) == expected_status == 1
    assert capsys.readouterr() == expected
    assert f"exchangesim {command}: " in expected.err


def test_config_prints_the_default_configuration_and_takes_no_arguments(capsys):
    assert main(["config"]) == 0
    assert capsys.readouterr().out == render_ini()
    assert exit_status(["config", "etc/sim.ini"]) == 2
    assert "unrecognized arguments: etc/sim.ini" in capsys.readouterr().err


def test_faults_lists_the_installed_modes(capsys):
    assert list_modes() == 0
    expected = capsys.readouterr().out
    assert main(["faults"]) == 0
    assert capsys.readouterr().out == expected
    assert "\ndrop: " in expected


@pytest.mark.parametrize(
    ("line", "handed"),
    [
        (["dashboard", "--no-browser"], ["--no-browser"]),
        (["scenarios"], ["--scenarios"]),
        (["scenarios", "--faults", "ack-loss"], ["--scenarios", "--faults", "ack-loss"]),
        (["scenarios", "--scenario", "basic-trading"], ["--scenario", "basic-trading"]),
        (["scenarios", "--list"], ["--list"]),
    ],
)
def test_dashboard_and_scenarios_hand_the_line_to_the_client(line, handed, monkeypatch):
    calls = []
    monkeypatch.setattr(client_cli, "main", lambda argv: calls.append(argv) or 0)
    assert main(line) == 0
    assert calls == [handed]
