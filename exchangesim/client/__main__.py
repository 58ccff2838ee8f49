"""``python -m exchangesim.client``: see ``exchangesim.client.cli``."""

from .cli import main

raise SystemExit(main())
