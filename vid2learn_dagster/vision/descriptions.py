"""What a keyframe shows (`VisualDescription`), however it was read, and the
`visual_descriptions` table of them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import pandas as pd

from vid2learn_dagster.storage.tables import conform


@dataclass(frozen=True)
class VisualDescription:
    """One keyframe described (a row of the `visual_descriptions` table)."""

    description: str
    on_screen_text: str
    has_code: bool
    code: str
    backend: str


def description_table(
    video_id: str, keyframes: pd.DataFrame, descriptions: Sequence[VisualDescription]
) -> pd.DataFrame:
    """The `visual_descriptions` table: one row per keyframe, in the keyframes' order."""
    if len(keyframes) != len(descriptions):
        raise ValueError(f"{len(keyframes)} keyframes but {len(descriptions)} descriptions")
    rows = [
        {
            "video_id": video_id,
            "scene": int(frame.scene),
            "time": float(frame.time),
            "image_path": str(frame.image_path),
            **asdict(description),
        }
        for frame, description in zip(keyframes.itertuples(index=False), descriptions, strict=True)
    ]
    columns = ["video_id", "scene", "time", "image_path", *VisualDescription.__dataclass_fields__]
    return conform(pd.DataFrame(rows, columns=columns), "visual_descriptions")
