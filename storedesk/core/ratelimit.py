"""Fixed-window rate limits shared by every process through Django's cache (Redis when
``STOREDESK_REDIS_URL`` is set, else the process's memory, which is all there is in the
embedded single-process mode)."""

import time

from django.core.cache import cache


def rate_allow(key: str, *, limit: int, window: int) -> bool:
    """Count one event for ``key`` and say whether it is within ``limit`` per ``window``
    seconds. Over the limit it returns False until the window turns over."""
    bucket = int(time.time() // window)
    cache_key = f"rate:{key}:{bucket}"
    if cache.add(cache_key, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, timeout=window + 1)
        return True
    return count <= limit
