#!/usr/bin/env bash
# Run before `npm test`: the suite talks to a real PostgreSQL on 127.0.0.1:5432 and drives Debian's
# chromium, so start the one and install the other when they are missing (as root, the way this
# project's machines run). Elsewhere it says what is missing; the tests then fail with the reason.
set -u
if command -v pg_isready >/dev/null && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ]; then
    echo "test-services: starting PostgreSQL" >&2
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n 1)" main start >&2 || true
    for _ in $(seq 1 60); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 0.5; done
  else
    echo "test-services: PostgreSQL is not running on 127.0.0.1:5432 (set HOLDFAST_TEST_PG to use another)" >&2
  fi
fi
if [ -z "${CHROMIUM_PATH:-}" ] && [ ! -x /usr/bin/chromium ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "test-services: installing Debian's chromium for the browser tests" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) >&2 ||
      echo "test-services: could not install chromium" >&2
  else
    echo "test-services: /usr/bin/chromium is missing (install Debian's chromium, or set CHROMIUM_PATH)" >&2
  fi
fi
exit 0
