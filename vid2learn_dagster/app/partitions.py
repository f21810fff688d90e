"""The one partitions definition: one dynamic partition per video."""

import dagster as dg

videos_partitions = dg.DynamicPartitionsDefinition(name="videos")
