"""Exit 0 if a service answers: ``check_service.py postgres URL`` or ``redis URL``."""

import sys


def main() -> int:
    kind, url = sys.argv[1], sys.argv[2]
    try:
        if kind == "postgres":
            import psycopg

            psycopg.connect(url, connect_timeout=3).close()
        elif kind == "redis":
            import redis

            redis.Redis.from_url(url, socket_connect_timeout=3).ping()
        else:
            print(f"unknown service {kind}", file=sys.stderr)
            return 2
    except Exception as exc:
        print(f"{kind} at {url} is unreachable: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
