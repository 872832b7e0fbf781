"""The shapes of ids that callers choose, stated once.

No id holds a colon or a brace, so none can meet or split a Redis key, a hash tag
or a topic name the engine builds (see `engine.adapters.redis.keys`).
"""

from __future__ import annotations

import re

CAMPAIGN_ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
# Workers, merchants, stores, cap groups: what a union's or a merchant's register holds.
PARTY_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"

CAMPAIGN_ID = re.compile(CAMPAIGN_ID_PATTERN)
PARTY_ID = re.compile(PARTY_ID_PATTERN)
