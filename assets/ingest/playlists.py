"""`playlist_entries`: what every configured playlist or channel lists now.

Run by `playlist_schedule` (daily by default). A schedule cannot add dynamic partitions,
so this asset only records the listings; `playlist_sensor` turns new entries into video
partitions and runs (Dagster docs, "Dynamic partitions": partitions are added by sensors).
"""

import dagster as dg

from assets.common.stage import NETWORK_RETRY, markdown_preview
from resources.ingest.playlists import PlaylistSource
from resources.ingest.registry import VideoRegistryResource
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.ingest import playlists as playlist_logic
from vid2learn_dagster.ingest import urls
from vid2learn_dagster.ingest.playlists import expand_playlists
from vid2learn_dagster.ingest.urls import parse_url_list


@dg.asset(
    pool="youtube",
    retry_policy=NETWORK_RETRY,
    kinds={"youtube", "parquet"},
    group_name="ingest",
    code_version=code_version(playlist_logic, urls),
)
def playlist_entries(
    context: dg.AssetExecutionContext,
    playlists: PlaylistSource,
    registry: VideoRegistryResource,
) -> dg.MaterializeResult:
    """The videos of each playlist/channel URL in the playlist list (yt-dlp flat extraction).

    A playlist that cannot be expanded is logged, recorded in `rejected_urls` with the
    reason and keeps its previous listing; the others go on. Only when every playlist
    fails does the run fail (and retry: the network may be down).
    """
    source = playlists.playlist_list
    parsed = parse_url_list(playlists.read() or "")
    store = registry.get()
    for bad in parsed.rejected:
        context.log.warning(f"{source}:{bad.line_no}: {bad.reason}: {bad.text!r}")
        store.reject(source, bad.line_no, bad.text, bad.reason)

    expansion = expand_playlists(parsed.urls, playlists.site())
    for url, listing in expansion.listings.items():
        store.record_playlist(url, listing)
        context.log.info(f"{url}: {len(listing)} videos")
    line_of = {line.url: line.line_no for line in parsed.accepted}
    for failure in expansion.failures:
        context.log.error(f"playlist not expanded: {failure.playlist_url}: {failure.reason}")
        store.reject(source, line_of[failure.playlist_url], failure.playlist_url, failure.reason)
    if expansion.failures and not expansion.listings:
        raise dg.Failure(
            f"no playlist of {source} could be expanded",
            metadata={"failed": [f.playlist_url for f in expansion.failures]},
        )

    entries = expansion.entries
    return dg.MaterializeResult(
        metadata={
            "playlists": len(expansion.listings),
            "failed_playlists": dg.MetadataValue.md(
                "\n".join(f"- {f.playlist_url}: {f.reason}" for f in expansion.failures)
                or "_(none)_"
            ),
            "videos": len(entries),
            "preview": markdown_preview(entries, ["playlist_url", "position", "title", "video_id"]),
        }
    )
