#!/usr/bin/env bash
# Takes docs/img/ha-ui.png: runs HaUiBrowserTest (three mesh routers and three mock workers on
# loopback, under light load, in headless chromium) with -Dsmg.ui.screenshot, which saves the page
# once every router has requests in flight. Needs chromium and chromedriver (scripts/install-browser.sh).
# Extra Maven flags (e.g. -o) may follow: scripts/ha-ui-screenshot.sh -o
set -euo pipefail
cd "$(dirname "$0")/.."
out="${SCREENSHOT:-$PWD/docs/img/ha-ui.png}"
JAVA_HOME="$(scripts/find-jdk)"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"
./mvnw -B -ntp -q -pl api -am test -Dtest=HaUiBrowserTest -Dsurefire.failIfNoSpecifiedTests=false \
  -Dsmg.ui.screenshot="$out" "$@"
[[ -s "$out" ]] || { echo "no screenshot taken (was the browser test skipped? see api/target/surefire-reports)" >&2; exit 1; }
echo "saved $out"
