"""A ``requests`` transport adapter into the in-memory venue, for stock ccxt (whose synchronous client
sends every REST call through ``exchange.session``, a ``requests.Session``)."""

from __future__ import annotations

from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from ._http import NoAnswerError

if TYPE_CHECKING:
    from ._venue import MemoryVenue

__all__ = ["MemoryAdapter"]

_FRAMING = {"host", "content-length", "transfer-encoding", "connection"}
_PHRASES = {status.value: status.phrase for status in HTTPStatus}


class MemoryAdapter(BaseAdapter):
    """Sends each request to ``venue`` in memory (``venue.call``); no answer is a ConnectionError, which
    ccxt reports as a ``NetworkError``, as it would a lost connection."""

    def __init__(self, venue: MemoryVenue) -> None:
        super().__init__()
        self._venue = venue

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        url = urlsplit(request.url or "")
        path = url.path + (f"?{url.query}" if url.query else "")
        body = request.body if request.body is not None else None
        headers = {  # the agent sets the framing headers itself
            name: value for name, value in request.headers.items() if name.lower() not in _FRAMING
        }
        try:
            answer = self._venue.call(request.method or "GET", path, body, headers=headers)
        except NoAnswerError as error:
            raise requests.ConnectionError(str(error), request=request) from None
        response = requests.Response()
        response.status_code = answer.status
        response.reason = _PHRASES.get(answer.status, "")
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = answer.body
        response.url = request.url or ""
        response.request = request
        response.encoding = "utf-8"
        return response

    def close(self) -> None:
        pass
