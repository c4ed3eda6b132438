#!/usr/bin/env bash
# Renders a `touchpoint dry-run --html` page to a PNG with headless Chromium, to check the preview in
# a real browser.
#   scripts/preview-screenshot.sh PAGE.html OUT.png [WIDTHxHEIGHT]
# Exits 0 with "skipped: ..." when Chromium is not installed or cannot start (CI without a browser);
# non-zero only on bad arguments or when Chromium ran but wrote no PNG.
# Also reports what the page fetched, from Chromium's network log: "network: none" for a
# self-contained page, otherwise one "network: fetched URL" line per request (Chromium's own
# update and account checks are left out). Name resolution is disabled, so nothing leaves the machine.
set -uo pipefail

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 PAGE.html OUT.png [WIDTHxHEIGHT]" >&2
    exit 2
fi
page=$1
out=$2
size=${3:-1280x2000}
if [ ! -r "$page" ]; then
    echo "$0: cannot read $page" >&2
    exit 2
fi
case "$size" in
    *[!0-9x]* | x* | *x | *x*x*) echo "$0: size '$size' is not WIDTHxHEIGHT" >&2; exit 2 ;;
esac

browser=""
for candidate in chromium chromium-browser google-chrome; do
    if command -v "$candidate" >/dev/null 2>&1; then
        browser=$(command -v "$candidate")
        break
    fi
done
if [ -z "$browser" ]; then
    echo "skipped: chromium not installed (apt-get install chromium)"
    exit 0
fi

# Chromium wants an absolute file:// URL and a writable profile; a throwaway one keeps runs independent.
abs_page=$(cd "$(dirname "$page")" && pwd)/$(basename "$page")
out_dir=$(dirname "$out")
mkdir -p "$out_dir"
abs_out=$(cd "$out_dir" && pwd)/$(basename "$out")
profile=$(mktemp -d "${TMPDIR:-/tmp}/preview-chromium.XXXXXX")
log="$profile/chromium.log"
trap 'rm -rf "$profile"' EXIT
rm -f "$abs_out"

# --virtual-time-budget lets frames and the filter script settle before the capture.
timeout 90 "$browser" --headless --disable-gpu --no-sandbox --no-first-run --no-default-browser-check \
    --hide-scrollbars --user-data-dir="$profile" --virtual-time-budget=3000 \
    --disable-background-networking --disable-component-update --disable-sync --no-pings \
    --host-resolver-rules="MAP * ~NOTFOUND" --log-net-log="$profile/net.json" \
    --screenshot="$abs_out" --window-size="${size/x/,}" "file://$abs_page" >"$log" 2>&1
status=$?

if [ -s "$abs_out" ] && [ "$(head -c 8 "$abs_out" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ]; then
    echo "wrote $out ($(wc -c <"$abs_out") bytes, ${size})"
    if [ -s "$profile/net.json" ]; then
        # One event per line; Chromium's own update and account checks are not the page's doing.
        urls() {
            grep -oE '"url":"(https?|wss?|ftp)://[^"]*"' | sed 's/^"url":"//; s/"$//' \
                | grep -vE '^[a-z]+://([^/]*\.)?(google\.com|googleapis\.com|gvt1\.com|gstatic\.com)(:[0-9]+)?/' | sort -u
        }
        fetched=$(grep -vE '"is_preconnect": ?true' "$profile/net.json" | urls)
        preconnected=$(grep -E '"is_preconnect": ?true' "$profile/net.json" | urls)
        if [ -z "$fetched" ] && [ -z "$preconnected" ]; then
            echo "network: none"
        fi
        for url in $fetched; do echo "network: fetched $url"; done
        for url in $preconnected; do echo "network: preconnect $url (connection only, no request)"; done
    else
        echo "network: unknown (no network log)"
    fi
    exit 0
fi
# No PNG: tell "could not start" (missing libraries, no display support, sandbox refusal) from a real failure.
if [ $status -eq 124 ]; then
    echo "$0: chromium timed out after 90s without writing $out" >&2
    tail -n 20 "$log" >&2
    exit 1
fi
if grep -qiE "error while loading shared libraries|cannot open display|Missing X server|No usable sandbox|Permission denied|cannot execute" "$log" \
    || [ $status -eq 126 ] || [ $status -eq 127 ]; then
    echo "skipped: chromium cannot start ($(grep -m1 -iE 'error|missing|denied' "$log" || echo "exit $status"))"
    exit 0
fi
echo "$0: chromium exited $status but wrote no PNG at $out" >&2
tail -n 20 "$log" >&2
exit 1
