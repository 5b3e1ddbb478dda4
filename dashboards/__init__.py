"""The preference dashboard (Streamlit): ``cinesync dashboard``. Needs the ``[dashboard]`` extra."""

from personalization.optional import require_extra

require_extra("dashboard")  # streamlit, altair, pandas: the message names the extra when one is missing
