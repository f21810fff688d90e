"""The playlist schedule: re-check every configured playlist and channel on a cron."""

import os

import dagster as dg

from resources.playlists import PlaylistSource
from vid2learn_dagster.jobs import refresh_playlists_job

# Daily at 04:00 UTC by default: new lectures rarely need to appear within the hour,
# and one listing a day per playlist is gentle on the sites.
PLAYLIST_CRON = os.environ.get("VID2LEARN_PLAYLIST_CRON", "0 4 * * *")


@dg.schedule(
    cron_schedule=PLAYLIST_CRON,
    job=refresh_playlists_job,
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Materializes playlist_entries; playlist_sensor then adds the new videos.",
)
def playlist_schedule(
    context: dg.ScheduleEvaluationContext, playlists: PlaylistSource
) -> dg.RunRequest | dg.SkipReason:
    """Skip (visibly, in the tick history) while no playlist list is configured."""
    text = playlists.read()
    if not text or not text.strip():
        return dg.SkipReason(f"no playlists listed in {playlists.playlist_list}")
    return dg.RunRequest()
