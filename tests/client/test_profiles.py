"""Profiles for a run: what clients will see of each built-in one, and ``applied``: the faults added for
the run and removed after it, even when it fails, with fault injection resumed only meanwhile."""

import pytest

from exchangesim.admin_client import AdminError
from exchangesim.client.profiles import ProfileConflictError, applied, load_profile
from exchangesim.fault_profiles import ProfileError


class FakeAdmin:
    """The admin calls ``applied`` makes, recorded; the daemon's faults and whether injection is on."""

    def __init__(self, enabled=True, faults=()):
        self.enabled = enabled
        self.names = list(faults)
        self.calls = []

    def faults(self):
        return {"enabled": self.enabled, "faults": [{"name": name} for name in self.names]}

    def add_fault(self, name, mode, **keys):
        self.calls.append(("add", name, mode))
        if mode == "refused":
            raise AdminError("POST", "/failures", 400, {"error": {"message": "bad"}})
        self.names.append(name)

    def remove_fault(self, name):
        self.calls.append(("remove", name))
        self.names.remove(name)

    def resume_faults(self):
        self.calls.append(("resume",))
        self.enabled = True

    def halt_faults(self):
        self.calls.append(("halt",))
        self.enabled = False


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("ack-loss", {"lost_ack"}),
        ("book-gaps", {"gap"}),
        ("venue-down", {"unavailable"}),
        ("exchange-overload", {"throttled", "unavailable"}),
        ("flaky-network", {"disconnect", "duplicate"}),
    ],
)
def test_each_built_in_profile_says_what_a_client_will_see(name, kinds):
    assert load_profile(name).kinds == kinds


def test_a_bad_profile_file_is_refused_before_anything_is_sent(tmp_path):
    path = tmp_path / "bad.ini"
    path.write_text("[failure:x]\nmode = drop\nprobability = 2\n", "utf-8")
    with pytest.raises(ProfileError, match=r"\[failure:x\] probability = '2'"):
        load_profile(str(path))


def test_the_faults_are_added_for_the_run_and_removed_after_it_even_when_it_fails():
    admin = FakeAdmin(enabled=False, faults=["configured"])
    with (
        pytest.raises(RuntimeError, match="the run failed"),
        applied(admin, load_profile("exchange-overload")),
    ):
        assert admin.enabled and admin.names == ["configured", "overload-throttle", "overload-errors"]
        raise RuntimeError("the run failed")
    assert admin.calls == [
        ("add", "overload-throttle", "throttle"),
        ("add", "overload-errors", "error"),
        ("resume",),
        ("halt",),
        ("remove", "overload-errors"),
        ("remove", "overload-throttle"),
    ]
    assert admin.names == ["configured"] and not admin.enabled


def test_a_refused_fault_takes_back_the_ones_added_before_it(tmp_path):
    path = tmp_path / "half.ini"
    path.write_text(
        "[failure:fine]\nmode = delay\nlayer = ws\n[failure:later]\nmode = drop\nlayer = ws\n", "utf-8"
    )
    profile = load_profile(str(path))
    profile.faults["later"]["mode"] = "refused"  # as if the daemon had other modes than this machine
    admin = FakeAdmin()
    with pytest.raises(AdminError), applied(admin, profile):
        pytest.fail("the body must not run")
    assert admin.names == [] and admin.calls[-1] == ("remove", "fine")


def test_a_fault_of_the_same_name_already_on_the_daemon_is_a_conflict():
    admin = FakeAdmin(faults=["ack-loss"])
    with (
        pytest.raises(ProfileConflictError, match="already has fault"),
        applied(admin, load_profile("ack-loss")),
    ):
        pass
    assert admin.calls == []
