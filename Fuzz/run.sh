#!/usr/bin/env bash
# Builds the libFuzzer harnesses and fuzzes one target.
#
#   Fuzz/run.sh rules|expressions|events|templates SECONDS [extra libFuzzer flags...]
#
# New corpus entries go to Fuzz/.build/fuzz-corpus/TARGET (ignored by git); the committed seeds in
# Fuzz/corpus/TARGET are only read. Crashes, timeouts and OOMs land in Fuzz/.build/fuzz-artifacts/TARGET/.
# SKIP_BUILD=1 reuses the last build. Leak detection is off: the Swift runtime's metadata caches
# and lazily initialised globals look like leaks to LeakSanitizer; -rss_limit_mb catches real growth.
set -euo pipefail

target=${1:?usage: run.sh rules|expressions|events|templates SECONDS [libFuzzer flags...]}
seconds=${2:-300}
shift $(($# >= 2 ? 2 : $#))
here=$(cd "$(dirname "$0")" && pwd)

case $target in
    rules) dict=yaml.dict max_len=16384 ;;      # the largest shipped rule test file is ~15 KB
    expressions) dict=cel.dict max_len=4500 ;;  # just past Expression.maximumLength (4096)
    events) dict=json.dict max_len=16384 ;;     # many lines per input, under the 64 KiB pipe buffer
    templates) dict=mustache.dict max_len=8192 ;;  # the largest shipped template is ~3 KB
    *) echo "unknown target '$target' (rules, expressions, events, templates)" >&2; exit 2 ;;
esac

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    swift build -c release --package-path "$here" --scratch-path "$here/.build" \
        --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address \
        -Xcc -fsanitize=fuzzer-no-link,address -Xswiftc -parse-as-library --product "fuzz-$target"
fi

work="$here/.build/fuzz-corpus/$target"
artifacts="$here/.build/fuzz-artifacts/$target"
mkdir -p "$work" "$artifacts"

# LeakSanitizer's at-exit check too: the shipped templates are parsed once into a global.
export ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
exec "$here/.build/release/fuzz-$target" "$work" "$here/corpus/$target" \
    -dict="$here/dict/$dict" -max_len="$max_len" -max_total_time="$seconds" \
    -timeout=5 -rss_limit_mb=2048 -malloc_limit_mb=2048 -detect_leaks=0 \
    -artifact_prefix="$artifacts/" -print_final_stats=1 "$@"
