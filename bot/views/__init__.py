"""The bot's buttons and menus: quick-rating cards, feedback on picks, the forget-me confirmation.

Every view belongs to the person who ran the command (``OwnedView.interaction_check``: anyone
else gets a polite ephemeral refusal), times out by greying out its items, and sends failures to
the shared ``report_error``. Every callback defers first, then calls the async service, then
edits its message or sends a followup; no blocking call runs on the event loop. One module per
view: ``base`` (what they share), ``quick_rate``, ``picks``, ``forget``.
"""

from __future__ import annotations

from .base import NOT_YOURS, OwnedView, ShareView, remember_name, send_view, share, signal_count
from .forget import ConfirmForgetView
from .picks import RecommendationsView
from .quick_rate import QUICK_BATCH, QuickRateView, start_quick_rating

__all__ = [
    "OwnedView",
    "QuickRateView",
    "RecommendationsView",
    "ConfirmForgetView",
    "ShareView",
    "start_quick_rating",
    "send_view",
    "signal_count",
    "remember_name",
    "share",
    "NOT_YOURS",
    "QUICK_BATCH",
]
