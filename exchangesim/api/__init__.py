"""The wire side of the simulator: request parsing, the error model and the dialects built on them."""
