"""emoji: its emoji database, a JSON data file loaded on first use (per language)."""

import emoji

print(emoji.emojize("Python is :thumbs_up: and :snake:"))
print(emoji.demojize("🇫🇷 🎉", language="fr"))
print(emoji.emojize(":pulgar_hacia_arriba:", language="es"), emoji.emoji_count("a 😀 b 😀"))
print(emoji.is_emoji("🧊"), len(emoji.EMOJI_DATA) > 3000)
