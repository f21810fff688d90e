"""`notebook`: the Jupyter notebook that teaches the video."""

import dagster as dg
import pandas as pd

from assets.common import videos_partitions
from resources.media_store import MediaStore
from vid2learn_dagster.notebook import (
    VideoSource,
    count_sections,
    notebook_outline,
    render_notebook,
    sections_from_chunks,
    write_notebook,
)
from vid2learn_dagster.tables import conform


@dg.asset(
    partitions_def=videos_partitions,
    kinds={"jupyter", "parquet"},
    group_name="notebook",
    code_version="1",
)
def notebook(
    context: dg.AssetExecutionContext,
    source_video: pd.DataFrame,
    chunks: pd.DataFrame,
    media: MediaStore,
) -> dg.MaterializeResult:
    """An nbformat v4 notebook: one section per chunk, keyframes embedded, timestamp links."""
    video_id = context.partition_key
    local_chunks = chunks.copy()
    local_chunks["image_path"] = [
        str(media.fetch(p, video_id)) if isinstance(p, str) and p else None
        for p in local_chunks["image_path"]
    ]
    source = VideoSource.from_record(source_video.iloc[0])
    nb = render_notebook(source, sections_from_chunks(local_chunks))
    path = media.workdir(video_id) / f"{video_id}.ipynb"
    write_notebook(nb, path)
    sections = count_sections(nb)
    row = {
        "video_id": video_id,
        "title": source.title,
        "notebook_path": media.publish(path, video_id),
        "sections": sections,
        "cells": len(nb.cells),
    }
    return dg.MaterializeResult(
        value=conform(pd.DataFrame([row]), "notebook"),
        metadata={
            "notebook_path": dg.MetadataValue.path(row["notebook_path"]),
            "sections": sections,
            "cells": len(nb.cells),
            "outline": dg.MetadataValue.md(notebook_outline(nb)),
        },
    )
