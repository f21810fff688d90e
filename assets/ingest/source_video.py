"""`source_video`: download the video of a partition with yt-dlp."""

import dagster as dg
import pandas as pd

from assets.common.stage import NETWORK_RETRY, config_defaults, markdown_preview, videos_partitions
from resources.ingest.registry import VideoRegistryResource
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.ingest import download
from vid2learn_dagster.ingest.download import (
    DownloadedVideo,
    PermanentDownloadError,
    TransientDownloadError,
    download_video,
)
from vid2learn_dagster.storage.tables import conform


class SourceVideoConfig(dg.Config):
    max_height: int = 720
    cookies_file: str = ""
    sleep_interval: float = 0.0


def _video_row(video_id: str, video: DownloadedVideo, stored_path: str) -> dict:
    # The partition key is the join key of every table; yt-dlp's own id (the file stem
    # for direct media) goes to the metadata as `reported_id`.
    return {
        "video_id": video_id,
        "url": video.url,
        "webpage_url": video.webpage_url,
        "extractor": video.extractor,
        "title": video.title,
        "duration": video.duration,
        "uploader": video.uploader,
        "upload_date": video.upload_date,
        "license": video.license,
        "width": video.width,
        "height": video.height,
        "fps": video.fps,
        "video_path": stored_path,
        "sha256": video.sha256,
    }


@dg.asset(
    partitions_def=videos_partitions,
    pool="youtube",
    retry_policy=NETWORK_RETRY,
    kinds={"youtube", "parquet"},
    group_name="ingest",
    code_version=code_version(download, settings=config_defaults(SourceVideoConfig)),
)
def source_video(
    context: dg.AssetExecutionContext,
    config: SourceVideoConfig,
    media: MediaStore,
    registry: VideoRegistryResource,
) -> dg.MaterializeResult:
    """The downloaded video file (capped height) and its metadata, one row per video.

    Network errors are retried with backoff; a 404, an unsupported URL or a file that is
    not a video fails this partition at once with the reason.
    """
    video_id = context.partition_key
    url = registry.get().url_for(video_id)
    if url is None:
        raise dg.Failure(
            f"no URL is registered for video {video_id!r}: add it with `vid2learn run URL` "
            "or the URL-list sensor",
            allow_retries=False,
        )
    context.log.info(f"downloading {url} (max height {config.max_height}p)")
    try:
        video = download_video(
            url,
            media.workdir(video_id),
            max_height=config.max_height,
            cookies_file=config.cookies_file or None,
            sleep_interval=config.sleep_interval,
        )
    except PermanentDownloadError as err:
        raise dg.Failure(str(err), allow_retries=False) from err
    except TransientDownloadError as err:
        if context.retry_number >= NETWORK_RETRY.max_retries:
            # Out of retries: fail with the cause, not Dagster's bare "exceeded max_retries".
            raise dg.Failure(
                f"{err} (gave up after {context.retry_number + 1} attempts)", allow_retries=False
            ) from err
        raise
    table = conform(
        pd.DataFrame([_video_row(video_id, video, media.publish(video.path, video_id))]),
        "source_video",
    )
    return dg.MaterializeResult(
        value=table,
        data_version=dg.DataVersion(video.sha256),
        metadata={
            "title": video.title,
            "url": dg.MetadataValue.url(video.webpage_url or url),
            "duration_s": video.duration,
            "resolution": f"{video.width}x{video.height}",
            "extractor": video.extractor,
            "reported_id": video.video_id,
            "video_path": dg.MetadataValue.path(table["video_path"].iloc[0]),
            "preview": markdown_preview(table, ["title", "uploader", "duration", "license"]),
        },
    )
