"""Every engine error code is listed with what it means."""

from exchangesim.engine import ERROR_CODES, ErrorCode


def test_every_code_is_listed_with_a_meaning():
    codes = {value for name, value in vars(ErrorCode).items() if name.isupper()}
    assert codes == set(ERROR_CODES)
    assert all(meaning for meaning in ERROR_CODES.values())
