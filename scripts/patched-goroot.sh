# Sourced, not run (by check-patches.sh and bench-chanops.sh): the patched copy of a Go.

# patched_goroot STOCK DEST PATCH: DEST becomes a copy of the GOROOT STOCK with PATCH applied.
# Hard links for the tree, real copies of the two directories the patches write to, so the
# installed toolchain is never touched; a plain copy where hard links cannot cross file systems.
patched_goroot() {
  local stock=$1 dest=$2 patch=$3
  cp -al "$stock" "$dest" 2>/dev/null || { rm -rf "$dest"; cp -a "$stock" "$dest"; }
  rm -rf "$dest/src/runtime" "$dest/src/internal/trace"
  cp -a "$stock/src/runtime" "$dest/src/runtime"
  cp -a "$stock/src/internal/trace" "$dest/src/internal/trace"
  patch -d "$dest" -p1 --batch --forward --quiet <"$patch"
}
