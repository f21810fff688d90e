"""Asset checks: the data-quality rules of `vid2learn_dagster.quality` after each stage."""
