"""The key store: which account each API key acts for, and the recorder that hears of every key."""

import pytest

from exchangesim.credentials import ApiKey, KeyStore

ALICE = ApiKey("alice", "alice-key", "alice-secret")


def test_a_key_acts_for_its_account_until_the_account_is_forgotten():
    keys = KeyStore()
    keys.register(ALICE)
    keys.register(ApiKey("alice", "alice-key-2", "other-secret"))
    assert (keys.owner_of("alice-key"), keys.lookup("alice-key")) == ("alice", ALICE)
    assert [key.key for key in keys.keys_of("alice")] == ["alice-key", "alice-key-2"]
    keys.forget("alice")
    assert (keys.owner_of("alice-key"), keys.keys_of("alice")) == (None, [])


def test_a_key_of_another_account_is_refused_unrecorded():
    keys = KeyStore()
    heard = []
    keys.register(ALICE)
    keys.set_recorder(heard.append)
    with pytest.raises(ValueError, match="belongs to account alice"):
        keys.register(ApiKey("bob", "alice-key", "bob-secret"))
    assert heard == [] and keys.owner_of("alice-key") == "alice"


def test_a_key_the_recorder_refuses_is_not_accepted():
    keys = KeyStore()

    def refuse(api_key):
        raise OSError("disk full")

    keys.set_recorder(refuse)
    with pytest.raises(OSError):
        keys.register(ALICE)
    assert keys.lookup("alice-key") is None
    keys.set_recorder(None)
    keys.register(ALICE)
    assert keys.lookup("alice-key") == ALICE
