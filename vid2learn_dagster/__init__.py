"""vid2learn: turn lecture and tutorial videos into learning material with Dagster.

The stage logic in this package is plain Python (no dagster import) so it can be
tested and reused without the orchestrator; `assets/` wires it into Dagster.
"""

__version__ = "0.1.0"
