"""Videos in: URL lists, playlists and channels, downloads, media probing and audio."""
