#!/usr/bin/env bash
# Fuzzes the trace engine (fuzz/fuzz_targets/trace_reader.rs) for SECONDS (default 60).
# Starts from the committed real traces in fuzz/seeds/ and the small traces of the corpus
# (target/corpus, scripts/gen-corpus.sh) and keeps what it learns in
# fuzz/corpus/trace_reader/ (gitignored) across runs. A crashing input is saved under
# fuzz/artifacts/trace_reader/ and the script exits non-zero. See fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

# cargo-fuzz passes nightly-only flags to rustc; this machine has stable Rust only.
export RUSTC_BOOTSTRAP=1
mkdir -p fuzz/corpus/trace_reader fuzz/corpus/real
# Real programs' traces (scripts/gen-corpus.sh) as seeds too, the smaller ones: the target
# reads each input whole, so a megabyte seed would slow every run that mutates it.
if [ -d target/corpus ]; then
  find target/corpus -maxdepth 1 -name '*.trace' -size -256k -exec cp {} fuzz/corpus/real/ \;
fi
# --sanitizer none: the crate has no unsafe code, and without AddressSanitizer the fuzzer
# runs about twice as many inputs. Release build with debug assertions and overflow checks.
# -timeout: an input that takes seconds is a hang; -malloc_limit_mb: no input of a few KB
# justifies a quarter GB in one allocation.
exec cargo fuzz run --sanitizer none trace_reader fuzz/corpus/trace_reader fuzz/seeds fuzz/corpus/real -- \
  -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=256 -rss_limit_mb=2048 -print_final_stats=1
