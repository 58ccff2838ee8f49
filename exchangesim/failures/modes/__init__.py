"""The built-in failure modes; each registers in the entry point group ``exchangesim.failure_modes``."""
