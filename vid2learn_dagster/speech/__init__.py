"""Speech: transcripts with word timestamps, who spoke when, words attributed to voices."""
