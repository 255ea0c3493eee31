#!/usr/bin/env bash
# Installs Debian's chromium and chromedriver for the /ha/ui browser test (HaUiBrowserTest) where they
# are missing and this machine allows it (root, apt-get). Never fails: where the browser cannot be
# installed, it says so in one line and the test skips itself with its reason.
set -uo pipefail

if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then
  exit 0
fi
if (( EUID != 0 )) || ! command -v apt-get >/dev/null; then
  echo "browser test will be skipped: chromium/chromedriver missing and not root with apt-get to install them"
  exit 0
fi
if { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver; } \
    >/dev/null 2>&1; then
  echo "installed chromium and chromedriver for the browser test"
else
  echo "browser test will be skipped: apt-get could not install chromium chromium-driver"
fi
exit 0
