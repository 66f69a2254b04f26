"""Test-wide settings: property tests draw the same examples every run unless told to explore."""

from hypothesis import settings

# The suite is a gate: a red run must mean the change broke something, not that the random
# search got lucky. `make fuzz` explores with fresh random examples (and more of them).
settings.register_profile("default", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, max_examples=2_000, print_blob=True)
settings.load_profile("default")
