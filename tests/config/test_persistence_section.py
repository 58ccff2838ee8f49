import pytest

from exchangesim.config import ConfigError
from exchangesim.config_checks import load_config


def load(tmp_path, text):
    path = tmp_path / "sim.ini"
    path.write_text(text, encoding="utf-8")
    return load_config([str(path)])


def test_defaults_persist_under_the_working_directory_with_batched_fsync():
    persistence = load_config([]).persistence
    assert (persistence.enabled, persistence.path, persistence.fsync) == (True, "exchangesim-data", "batch")
    assert (persistence.fsync_batch_ms, persistence.snapshot_interval) == (5, 60)


def test_keys_load_typed_and_a_relative_path_stays_relative_to_the_working_directory(tmp_path):
    persistence = load(
        tmp_path,
        "[persistence]\nenabled = no\npath = state\nfsync = always\n"
        "fsync_batch_ms = 20\nsnapshot_interval = 0\n",
    ).persistence
    assert (persistence.enabled, persistence.path, persistence.fsync) == (False, "state", "always")
    assert (persistence.fsync_batch_ms, persistence.snapshot_interval) == (20, 0)


def test_bad_values_name_section_and_key(tmp_path):
    with pytest.raises(ConfigError) as caught:
        load(
            tmp_path,
            "[persistence]\nfsync = sometimes\nfsync_batch_ms = 0\nsnapshot_interval = -1\n"
            "path =  \nenable = yes\n",
        )
    problems = {(problem.section, problem.key): problem.reason for problem in caught.value.problems}
    assert problems == {
        ("persistence", "fsync"): "must be one of always, batch, off",
        ("persistence", "fsync_batch_ms"): "must be between 1 and 10000",
        ("persistence", "snapshot_interval"): "must be between 0 and 86400",
        ("persistence", "path"): "must name a folder",
        ("persistence", "enable"): "unknown key; did you mean 'enabled'?",
    }
