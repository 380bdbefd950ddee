#!/usr/bin/env bash
# Installs what the tests need and is missing, then runs every test in the solution.
# Needs: the .NET SDK (on the machine), and from Debian: PostgreSQL server binaries, Chromium, xmllint, feedparser,
# redis-server and nginx.
set -euo pipefail
cd "$(dirname "$0")"

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[ -x /usr/bin/chromium ] || missing+=(chromium)
command -v xmllint >/dev/null || missing+=(libxml2-utils)
/usr/bin/python3 -c 'import feedparser' 2>/dev/null || missing+=(python3-feedparser)
command -v npm >/dev/null || missing+=(nodejs npm)
# The nodes tests start their own redis-server (the hub's backplane) and check deploy/'s nginx site with nginx -t.
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/sbin/nginx ] || missing+=(nginx-light)
if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# axe-core, injected into pages by the end-to-end tests' accessibility checks (tests/CrisisDesk.EndToEndTests/package.json).
[ -d tests/CrisisDesk.EndToEndTests/node_modules/axe-core ] || (cd tests/CrisisDesk.EndToEndTests && npm ci --no-audit --no-fund --silent)

configuration="${CONFIGURATION:-Release}"
dotnet build CrisisDesk.sln -c "$configuration" -nologo -clp:ErrorsOnly

# One test assembly at a time: the end-to-end tests start servers and a browser, and this machine has two cores.
# CRISISDESK_TEST_RESULTS keeps the .trx files (each test's outcome and duration) for a look afterwards.
results="${CRISISDESK_TEST_RESULTS:-$(mktemp -d)}"
mkdir -p "$results"
status=0
export CRISISDESK_E2E_LOG_DIR="$results/server-logs"
for project in tests/CrisisDesk.UnitTests tests/CrisisDesk.ComponentTests tests/CrisisDesk.IntegrationTests tests/CrisisDesk.EndToEndTests; do
  name="$(basename "$project")"
  if ! dotnet test "$project" -c "$configuration" --no-build -nologo --logger "trx;LogFileName=$name.trx" --results-directory "$results"; then
    status=1
    # The browser tests run CrisisDesk as its own process: show what those servers warned about, the first clue to a failure.
    for log in "$CRISISDESK_E2E_LOG_DIR"/*.log; do
      [ -f "$log" ] || continue
      # Text logs on a terminal, JSON lines when redirected (as here): both are searched.
      # DataProtection's "No XML encryptor" warning is expected (the key ring lives in PostgreSQL) and only hides the rest.
      warnings="$(grep -E -A6 '^(warn|fail|crit):|"LogLevel":"(Warning|Error|Critical)"' "$log" | grep -v 'No XML encryptor configured' || true)"
      grep -qE '^(warn|fail|crit):|"LogLevel":"(Warning|Error|Critical)"' <<<"$warnings" || continue
      echo "--- $(basename "$log"): warnings and errors ---"
      head -80 <<<"$warnings"
    done
  fi
done

# One closing line for the whole run, counted from the test results.
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters="$(grep -o '<Counters [^>]*>' "$trx" | head -1)"
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters"); t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters"); e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${t:-0} - ${e:-0}))
done
# The failed tests by name, last, so that the end of a long log says what broke.
if [ "$failed" -gt 0 ]; then
  echo "Failed tests:"
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    /usr/bin/python3 - "$trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
for r in ET.parse(sys.argv[1]).getroot().iterfind(".//t:UnitTestResult", ns):
    if r.get("outcome") != "Failed":
        continue
    message = r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
    print(f"  {r.get('testName')} ({r.get('duration')}): {message[0][:300] if message else ''}")
PY
  done
fi
[ -n "${CRISISDESK_TEST_RESULTS:-}" ] || rm -rf "$results"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$passed" -gt 0 ] || status=1
exit $status
