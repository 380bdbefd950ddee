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
# A sign-in the browser tests had to click twice (Support/Browser.cs): rare, said here even when everything passed.
if [ -s "$CRISISDESK_E2E_LOG_DIR/sign-in-retries.log" ]; then
  echo "Sign-ins that needed a second click:"
  sed 's/^/  /' "$CRISISDESK_E2E_LOG_DIR/sign-in-retries.log"
fi
# The failed tests by name, last, so that the end of a long log says what broke: before them, what the servers of the
# failed browser test classes warned about (each runs CrisisDesk as its own process, its log named after the class),
# then each failure's first lines (a timeout's call log says what it waited for) and the test's lines in its stack.
if [ "$failed" -gt 0 ]; then
  /usr/bin/python3 - "$results" "$CRISISDESK_E2E_LOG_DIR" <<'PY'
import glob, json, os, re, sys, xml.etree.ElementTree as ET
results, logs = sys.argv[1], sys.argv[2]
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
failures = []
for trx in sorted(glob.glob(os.path.join(results, "*.trx"))):
    for r in ET.parse(trx).getroot().iterfind(".//t:UnitTestResult", ns):
        if r.get("outcome") == "Failed":
            failures.append(r)
classes = {r.get("testName").split("(")[0].rsplit(".", 2)[-2] for r in failures}
# DataProtection's "No XML encryptor" warning is expected (the key ring lives in PostgreSQL) and only hides the rest.
noisy = re.compile(r"No XML encryptor configured")
for log in sorted(glob.glob(os.path.join(logs, "crisisdesk-*.log"))):
    if not any(os.path.basename(log).startswith(f"crisisdesk-{c}-") for c in classes):
        continue
    shown = []
    for line in open(log, errors="replace"):
        # JSON lines when redirected (as here), text on a terminal: both are read.
        try:
            entry = json.loads(line)
            level = entry.get("LogLevel") if isinstance(entry, dict) else None
        except ValueError:
            level = "Warning" if re.match(r"^(warn|fail|crit):", line) else None
        if level in ("Warning", "Error", "Critical") and not noisy.search(line):
            shown.append(line.rstrip()[:1500])
    if shown:
        print(f"--- {os.path.basename(log)}: warnings and errors ---")
        print("\n".join(shown[:40]))
print("Failed tests:")
for r in failures:
    message = r.findtext(".//t:ErrorInfo/t:Message", default="", namespaces=ns).strip().splitlines()
    print(f"  {r.get('testName')} ({r.get('duration')}): {message[0][:300] if message else ''}")
    for line in message[1:8]:
        print(f"      {line[:300]}")
    stack = r.findtext(".//t:ErrorInfo/t:StackTrace", default="", namespaces=ns).splitlines()
    for line in [l.strip() for l in stack if "/tests/" in l][:3]:
        print(f"      {line[:300]}")
PY
fi
[ -n "${CRISISDESK_TEST_RESULTS:-}" ] || rm -rf "$results"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$passed" -gt 0 ] || status=1
exit $status
