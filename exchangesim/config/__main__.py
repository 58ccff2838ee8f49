"""Print the default configuration as a documented INI file: ``python -m exchangesim.config``."""

from . import render_ini

print(render_ini(), end="")
