"""A fixed-window counter in the cache, for pages anyone can post to."""

from django.core.cache import cache


def allow(key: str, *, limit: int, window_seconds: int) -> bool:
    """True while `key` has been used fewer than `limit` times in the current window."""
    cache_key = f"ratelimit:{key}"
    # add() only sets a missing key, so the window starts at the first use and is not renewed.
    cache.add(cache_key, 0, timeout=window_seconds)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add() and incr()
        cache.add(cache_key, 1, timeout=window_seconds)
        count = 1
    return count <= limit
