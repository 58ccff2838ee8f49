"""The native dialect: REST under ``/api/v1`` and the WebSocket at ``/ws``."""

from .rest import NativeAPI
from .ws import NativeWebSocketFactory

__all__ = ["NativeAPI", "NativeWebSocketFactory"]
