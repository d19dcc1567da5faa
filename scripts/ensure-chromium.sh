#!/usr/bin/env bash
# Browser tests drive Debian's Chromium (/usr/bin/chromium). Install it when missing and we
# can (root with apt-get); otherwise say so: the browser tests then skip, or fail in CI.
set -u
# CJK fonts so Chinese renders in screenshots (tests do not depend on them).
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then
  exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's chromium for the browser tests ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei >/dev/null && exit 0
fi
[ -x /usr/bin/chromium ] && exit 0
echo "WARNING: /usr/bin/chromium is missing; install it (apt-get install chromium) to run the browser tests." >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
exit 0
