"""CineSync on Discord: slash commands over the engine's service API (see docs/bot.md).

Run with `cinesync bot`; `bot.app.build_bot(service)` builds it around an AsyncService.
"""

from personalization.optional import require_extra

require_extra("bot")  # discord.py: every module below needs it, the message names the extra
