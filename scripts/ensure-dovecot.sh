#!/usr/bin/env bash
# The IMAP polling tests run Debian's Dovecot (/usr/sbin/dovecot) on loopback with their own
# configuration. Install it when missing and we can (root with apt-get); otherwise say so:
# the IMAP tests then skip, or fail in CI.
set -u
have_dovecot() { command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ]; }
have_dovecot && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian's dovecot-imapd for the IMAP tests ..."
  export DEBIAN_FRONTEND=noninteractive
  if apt-get update -qq && apt-get install -y -qq dovecot-imapd >/dev/null; then
    # The tests start a server of their own; do not leave a system-wide one listening.
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
      systemctl disable --now dovecot.service >/dev/null 2>&1 || true
    fi
  fi
fi
have_dovecot && exit 0
echo "WARNING: dovecot is missing; install it (apt-get install dovecot-imapd) to run the IMAP tests." >&2
if [ "${CI:-}" = "true" ]; then
  exit 1
fi
exit 0
