"""Where videos come from: the playlist list and the URL registry, as resources."""
