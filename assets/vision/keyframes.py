"""`keyframes`: one image per detected scene (slides, or PySceneDetect for camera footage)."""

import dagster as dg
import pandas as pd

from assets.common.stage import config_defaults, markdown_preview, videos_partitions
from resources.storage.media_store import MediaStore
from vid2learn_dagster.common.lineage import code_version
from vid2learn_dagster.vision import scenes
from vid2learn_dagster.vision.scenes import SceneSettings, detect_scenes, extract_keyframes


class KeyframesConfig(dg.Config):
    detector: str = "slides"
    threshold: float | None = None
    downscale: int | None = None
    min_scene_len: int = 15


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"opencv", "parquet"},
    group_name="vision",
    code_version=code_version(scenes, settings=config_defaults(KeyframesConfig)),
)
def keyframes(
    context: dg.AssetExecutionContext,
    config: KeyframesConfig,
    source_video: pd.DataFrame,
    media: MediaStore,
) -> dg.MaterializeResult:
    """Scenes (slides by default), each with a keyframe image saved beside the tables."""
    video_id = context.partition_key
    video_path = media.fetch(source_video["video_path"].iloc[0], video_id)
    settings = SceneSettings(
        detector=config.detector,
        threshold=config.threshold,
        downscale=config.downscale,
        min_scene_len=config.min_scene_len,
    )
    # An audio-only recording (issue 11) has no picture: no scenes, the tables stay typed.
    has_picture = pd.notna(source_video["width"].iloc[0])
    scenes = detect_scenes(video_path, settings) if has_picture else []
    table = extract_keyframes(video_path, scenes, media.workdir(video_id) / "keyframes", video_id)
    table["image_path"] = [media.publish_path(p, video_id) for p in table["image_path"]]
    context.log.info(
        f"{video_id}: {len(table)} scenes with {settings.detector} detection"
        if has_picture
        else f"{video_id}: an audio-only recording, so no keyframes"
    )
    return dg.MaterializeResult(
        value=table,
        metadata={
            "scenes": len(table),
            "builds": int(table["builds"].map(len).sum()),
            "detector": settings.detector,
            "first_keyframe": dg.MetadataValue.path(table["image_path"].iloc[0])
            if len(table)
            else "",
            "preview": markdown_preview(table, ["scene", "start", "end", "image_path"]),
        },
    )
