"""Files for players and apps beside the notebook: subtitles, timeline, all the code."""
