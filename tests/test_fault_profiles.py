"""Fault profiles: the built-in ones (also ``etc/profiles`` and the pytest plugin's presets), any INI file
of ``[failure:NAME]`` sections, and the errors of a bad one, named by file, section and key."""

from pathlib import Path

import pytest

from exchangesim.fault_profiles import (
    PROFILES_DIR,
    ProfileError,
    check_profile,
    find_profile,
    profile_names,
    read_profile,
)
from exchangesim.pytest_plugin import PRESETS

REPO = Path(__file__).resolve().parents[1]


def test_the_built_in_profiles_are_valid_faults_and_etc_profiles_is_the_same_folder():
    names = profile_names()
    assert {"ack-loss", "book-gaps", "venue-down", "flaky-network", "exchange-overload"} <= set(names)
    for name in names:
        path = find_profile(name)
        specs = check_profile(path, read_profile(path))
        assert specs and all(spec.name for spec in specs)
    etc = REPO / "etc" / "profiles"
    assert etc.is_symlink() and not Path(etc.readlink()).is_absolute()
    assert etc.resolve() == PROFILES_DIR


def test_the_pytest_presets_are_the_profiles():
    assert sorted(PRESETS) == profile_names()
    assert PRESETS["ack-loss"]["ack-loss"] == {
        "mode": "drop",
        "layer": "rest",
        "stage": "post_engine",
        "route": "POST /api/v1/orders",
    }


def test_a_path_is_a_profile_and_other_sections_are_ignored(tmp_path):
    path = tmp_path / "mine.ini"
    path.write_text("[exchange]\nseed = 1\n[failure:slow]\nmode = delay\nlayer = ws  # late\n", "utf-8")
    assert find_profile(str(path)) == path
    assert find_profile("mine.ini", base=tmp_path) == path
    assert read_profile(path) == {"slow": {"mode": "delay", "layer": "ws"}}


def test_a_bad_profile_names_file_section_and_key_for_every_problem(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text(
        "[failure:gaps]\nmode = drop\nlayer = ws\nnth = zero\ncolour = red\n[failure:odd]\nmode = nosuch\n",
        "utf-8",
    )
    with pytest.raises(ProfileError) as raised:
        check_profile(path, read_profile(path))
    message = str(raised.value)
    assert message.startswith("invalid fault profile (3 problems):")
    assert f"{path}: [failure:gaps] nth = 'zero': expected a whole number" in message
    assert f"{path}: [failure:gaps] colour = 'red': unknown key for mode drop" in message
    assert f"{path}: [failure:odd] mode = 'nosuch': unknown failure mode 'nosuch'" in message


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[exchange]\nseed = 1\n", "has no [failure:NAME] section"),
        ("[failure:x]\nmode = drop\nmode = delay\n", "option 'mode' in section 'failure:x' already exists"),
    ],
)
def test_a_file_that_is_no_profile_is_refused_with_the_reason(tmp_path, text, reason):
    path = tmp_path / "p.ini"
    path.write_text(text, "utf-8")
    with pytest.raises(ProfileError) as raised:
        read_profile(path)
    assert str(raised.value).startswith(str(path)) and reason in str(raised.value)


def test_an_unknown_name_lists_the_profiles():
    with pytest.raises(ProfileError, match=r"'nope' is neither a profile \(ack-loss, .*\) nor a file"):
        find_profile("nope")
