#!/usr/bin/env bash
# make install-check: dagctl installs with `go install`, as operators without a package do.
#   1. go install ./cmd/dagctl in a clean clone of HEAD, into a temporary GOBIN;
#   2. go install github.com/dagctl/dagctl/cmd/dagctl@VERSION through a module proxy on disk
#      (GOPROXY=file://…) that serves HEAD as VERSION, the way a published version is fetched:
#      go.mod, .info and the module zip (tools/modproxy, golang.org/x/mod/zip). The go command
#      refuses this when go.mod has a replace directive. The dependencies come from the local
#      module cache's download directory, else from the Go module proxy.
# Each binary must run `dagctl version` and `dagctl --help`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
for t in git "$GO"; do
	command -v "$t" >/dev/null 2>&1 || { echo "install-check: $t is missing" >&2; exit 1; }
done

tmp=$(mktemp -d)
cleanup() {
	chmod -R u+w "$tmp" 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
head=$(git rev-parse HEAD)
short=$(git rev-parse --short=12 HEAD)
fail=0

runs() { # runs BINARY WANT_VERSION
	local out
	if ! out=$("$1" version 2>&1); then
		echo "  FAIL  $1 version: $out"
		return 1
	fi
	if [ -n "$2" ] && [ "$(cut -f1 <<<"$out")" != "$2" ]; then
		echo "  FAIL  $1 version: '$out', want version $2"
		return 1
	fi
	if ! "$1" --help >/dev/null 2>&1; then
		echo "  FAIL  $1 --help"
		return 1
	fi
	echo "  ok    $1 runs: dagctl version: $out"
}

echo "-- go install ./cmd/dagctl in a clean clone of $short"
git clone -q --no-local . "$tmp/src"
git -C "$tmp/src" checkout -q "$head"
# -buildvcs=auto: as on a machine without GOFLAGS, the go command records the commit.
if (cd "$tmp/src" && GOFLAGS=-buildvcs=auto CGO_ENABLED=0 GOBIN="$tmp/bin1" "$GO" install ./cmd/dagctl); then
	runs "$tmp/bin1/dagctl" "" || fail=1
else
	echo "  FAIL  go install ./cmd/dagctl"
	fail=1
fi

# A version that names the commit, so a module cache never holds another tree under it.
version=v0.0.1-check.g$short
echo "-- go install github.com/dagctl/dagctl/cmd/dagctl@$version through GOPROXY=file://…"
(cd tools && "$GO" run ./modproxy -repo .. -rev "$head" -version "$version" -out "$tmp/proxy")
# A throwaway module cache: the fake version must be fetched through the proxy, not found cached.
# GONOSUMDB: the checksum database has never heard of it; the dependencies are checked against
# the go.sum inside the module zip, as for a published version.
if (cd "$tmp" && env GOPROXY="file://$tmp/proxy,file://$("$GO" env GOMODCACHE)/cache/download,$("$GO" env GOPROXY)" \
	GONOSUMDB=github.com/dagctl/dagctl GOFLAGS=-modcacherw GOMODCACHE="$tmp/modcache" \
	CGO_ENABLED=0 GOBIN="$tmp/bin2" "$GO" install "github.com/dagctl/dagctl/cmd/dagctl@$version"); then
	runs "$tmp/bin2/dagctl" "$version" || fail=1
else
	echo "  FAIL  go install github.com/dagctl/dagctl/cmd/dagctl@$version"
	fail=1
fi

if [ "$fail" -ne 0 ]; then
	echo "install-check: failed"
	exit 1
fi
echo "install-check: both go install ways give a dagctl that runs"
