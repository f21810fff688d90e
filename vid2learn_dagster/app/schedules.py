"""The playlist schedule: re-check every configured playlist and channel on a cron."""

import dagster as dg

from resources.ingest.playlists import PlaylistSource
from vid2learn_dagster.app.jobs import refresh_playlists_job
from vid2learn_dagster.common.settings import settings

# Daily at 04:00 UTC by default: new lectures rarely need to appear within the hour,
# and one listing a day per playlist is gentle on the sites.


@dg.schedule(
    cron_schedule=settings().playlist_cron,
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
