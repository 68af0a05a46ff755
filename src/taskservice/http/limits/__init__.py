"""Rate limits: per caller on protected routes (`caller.py`), per address and email on sign-in
(`sign_in.py`), counted in fixed windows (`windows.py`) that fail open when Redis is down
(`fail_open.py`); `stats.py` holds the counts the metrics read."""
