#!/usr/bin/env bash
# make release-check: the release as a tag would build it, checked, publishing nothing.
#   1. goreleaser check (goreleaser is pinned in tools/go.mod and built from source through the
#      Go module proxy: the first run takes several minutes, later ones use the build cache);
#   2. goreleaser release --snapshot --clean into dist/;
#   3. checks of what dist/ holds: every archive's files, checksums.txt, every binary CGO-free,
#      -trimpath and stamped with the snapshot's version; the .deb's control data and file list
#      (dpkg-deb), its binary's `dagctl version` (the snapshot's version, commit and date), its
#      man page rendered by `man -l`, its bash completion sourced by bash; the .rpm's metadata and
#      the same file list with the same binary (rpm);
#   4. scripts/install-check.sh: go install from a clean clone and through a module proxy.
#
#   scripts/release-check.sh                # all of it
#   scripts/release-check.sh --dist-only    # only step 3, on the dist/ already there
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
GORELEASER=${GORELEASER:-"$GO tool -modfile=tools/go.mod goreleaser"}
HOMEPAGE=https://github.com/dagctl/dagctl
dist_only=false
[ "${1:-}" = --dist-only ] && dist_only=true

# The tools the checks need, and the Debian package that brings each.
missing=()
for t in git:git "$GO":golang dpkg-deb:dpkg rpm:rpm man:man-db gzip:gzip tar:tar unzip:unzip sha256sum:coreutils; do
	command -v "${t%%:*}" >/dev/null 2>&1 || missing+=("${t%%:*} (Debian package ${t#*:})")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "release-check: missing tools:" >&2
	printf '  %s\n' "${missing[@]}" >&2
	echo "release-check: on Debian/Ubuntu: apt-get install dpkg rpm man-db gzip tar unzip coreutils" >&2
	exit 1
fi

step() { echo; echo "== $* ($(date -u +%H:%M:%S))"; }
started=$SECONDS

if ! $dist_only; then
	# goreleaser drops the commit of a snapshot (it says "none") when `git ls-remote --get-url`
	# fails, as in a repository without remotes: give this run the project's URL as origin.
	if [ -z "$(git remote)" ]; then
		export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0=$HOMEPAGE.git
	fi
	step "goreleaser check ($GORELEASER; built on first use)"
	$GORELEASER check
	step "goreleaser release --snapshot --clean"
	$GORELEASER release --snapshot --clean
fi

step "checking dist/"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "  ok    $*"; }
bad() { fail=$((fail + 1)); echo "  FAIL  $*"; }
check() { # check DESCRIPTION COMMAND...: ok when COMMAND succeeds
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
same() { # same DESCRIPTION GOT WANT
	if [ "$2" = "$3" ]; then ok "$1: $2"; else bad "$1: got '$2', want '$3'"; fi
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What goreleaser says it built.
meta=dist/metadata.json
[ -f "$meta" ] || { echo "release-check: no $meta: run without --dist-only" >&2; exit 1; }
field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p" "$meta"; }
version=$(field version) commit=$(field commit) date=$(field date)
echo "  snapshot: version $version, commit $commit, date $date"
check "the snapshot has a version" test -n "$version" -a "$version" != dev
same "the snapshot's commit is HEAD" "$commit" "$(git rev-parse HEAD)"

# The man pages the before-hook generated: one per command.
mapfile -t pages < <(cd .release/man && ls dagctl*.1)
check "the before-hook wrote the man pages (${#pages[@]})" test "${#pages[@]}" -gt 20

# Archives.
for os in linux darwin windows; do
	for arch in amd64 arm64; do
		base=dagctl_${version}_${os}_${arch} exe=dagctl ext=tar.gz
		[ $os = windows ] && exe=dagctl.exe ext=zip
		f=dist/$base.$ext
		if [ ! -f "$f" ]; then
			bad "$f missing"
			continue
		fi
		if [ $ext = zip ]; then unzip -Z1 "$f"; else tar -tzf "$f"; fi | grep -v '/$' | sort >"$tmp/got"
		{
			printf '%s\n' "$base/$exe" "$base/README.md" "$base/LICENSE" \
				"$base/completions/dagctl.bash" "$base/completions/_dagctl" "$base/completions/dagctl.fish" "$base/completions/dagctl.ps1"
			printf "$base/man/%s\n" "${pages[@]}"
		} | sort >"$tmp/want"
		if diff -u "$tmp/want" "$tmp/got" >"$tmp/diff"; then
			ok "$f: binary, README, LICENSE, ${#pages[@]} man pages, 4 completions"
		else
			bad "$f: files differ from the expected ones"
			sed 's/^/        /' "$tmp/diff"
		fi
	done
done

# Binaries: CGO-free, trimmed, stamped (only this machine's can run; the others carry the string).
for b in dist/dagctl_*_*/dagctl dist/dagctl_*_*/dagctl.exe; do
	[ -f "$b" ] || continue
	info=$("$GO" version -m "$b")
	if grep -q $'build\tCGO_ENABLED=0' <<<"$info" && grep -q $'build\t-trimpath=true' <<<"$info" && grep -qF "$version" "$b"; then
		ok "$b: CGO_ENABLED=0, -trimpath, version $version stamped"
	else
		bad "$b: not CGO-free, not -trimpath, or without the version"
	fi
done

# checksums.txt covers the 6 archives and 4 packages, and matches them.
same "checksums.txt entries" "$(wc -l <dist/checksums.txt)" 10
check "checksums.txt matches the files" sh -c 'cd dist && sha256sum --quiet -c checksums.txt'

# The files both packages must install, exactly.
{
	printf '%s\n' /usr/bin/dagctl /usr/share/bash-completion/completions/dagctl \
		/usr/share/zsh/vendor-completions/_dagctl /usr/share/fish/vendor_completions.d/dagctl.fish \
		/usr/share/doc/dagctl/README.md /usr/share/doc/dagctl/LICENSE
	printf '/usr/share/man/man1/%s.gz\n' "${pages[@]}"
} | sort >"$tmp/pkgfiles"

host=$(dpkg --print-architecture 2>/dev/null || echo amd64)
for arch in amd64 arm64; do
	deb=$(ls dist/dagctl_*_"$arch".deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		bad "no .deb for $arch"
		continue
	fi
	same "$deb: Package" "$(dpkg-deb -f "$deb" Package)" dagctl
	same "$deb: Version (~ for -)" "$(dpkg-deb -f "$deb" Version | tr '~' '-')" "$version"
	same "$deb: Architecture" "$(dpkg-deb -f "$deb" Architecture)" "$arch"
	same "$deb: Homepage" "$(dpkg-deb -f "$deb" Homepage)" "$HOMEPAGE"
	check "$deb: Maintainer ($(dpkg-deb -f "$deb" Maintainer))" test -n "$(dpkg-deb -f "$deb" Maintainer)"
	check "$deb: Description" grep -q 'Airflow' <<<"$(dpkg-deb -f "$deb" Description)"
	dpkg-deb -c "$deb" >"$tmp/contents-$arch"
	awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' "$tmp/contents-$arch" | sort >"$tmp/deb-$arch"
	if diff -u "$tmp/pkgfiles" "$tmp/deb-$arch" >"$tmp/diff"; then
		ok "$deb: file list (${#pages[@]} man pages gzipped in /usr/share/man/man1, completions, doc)"
	else
		bad "$deb: file list differs"
		sed 's/^/        /' "$tmp/diff"
	fi
	check "$deb: /usr/bin/dagctl is executable" grep -q '^-rwxr-xr-x .* \./usr/bin/dagctl$' "$tmp/contents-$arch"

	[ "$arch" = "$host" ] || continue
	root=$tmp/deb
	dpkg-deb -x "$deb" "$root"
	bin=$root/usr/bin/dagctl
	same "$deb: dagctl version" "$("$bin" version --jq .version)" "$version"
	got_commit=$("$bin" version --jq .commit)
	check "$deb: dagctl version's commit $got_commit is the snapshot's" \
		eval '[[ $got_commit =~ ^[0-9a-f]{7,}$ && $commit == "$got_commit"* ]]'
	got_date=$("$bin" version --jq .date)
	same "$deb: dagctl version's date (to the second)" "${got_date:0:19}" "${date:0:19}"
	check "$deb: README is the checkout's" cmp -s README.md "$root/usr/share/doc/dagctl/README.md"
	check "$deb: LICENSE is the checkout's" cmp -s LICENSE "$root/usr/share/doc/dagctl/LICENSE"
	rendered=$(MANWIDTH=80 man -P cat -l "$root/usr/share/man/man1/dagctl-runs-create.1.gz" </dev/null 2>/dev/null | head -12)
	check "$deb: man -l renders dagctl-runs-create.1.gz" grep -q 'dagctl runs create \[flags\]' <<<"$rendered"
	sed 's/^/        /' <<<"$rendered" | head -6
	comp=$root/usr/share/bash-completion/completions/dagctl
	same "$deb: bash sources the completion" \
		"$(bash --noprofile --norc -c "source '$comp' && complete -p dagctl" 2>&1)" \
		"complete -o default -F __start_dagctl dagctl"
	# With the bash-completion package, complete a word through the installed binary too.
	if [ -f /usr/share/bash-completion/bash_completion ]; then
		words=$(PATH=$root/usr/bin:$PATH bash --noprofile --norc -c "
			source /usr/share/bash-completion/bash_completion; source '$comp'
			COMP_LINE='dagctl ru'; COMP_POINT=\${#COMP_LINE}; COMP_WORDS=(dagctl ru); COMP_CWORD=1
			__start_dagctl dagctl ru dagctl 2>/dev/null; echo \"\${COMPREPLY[*]}\"")
		same "$deb: bash completes 'dagctl ru'" "$words" runs
	else
		echo "  (bash-completion is not installed: completing a word through the binary is not tried)"
	fi
	check "$deb: the zsh completion is a #compdef file" grep -q '^#compdef dagctl' "$root/usr/share/zsh/vendor-completions/_dagctl"
	check "$deb: the fish completion completes dagctl" grep -q 'complete -c dagctl' "$root/usr/share/fish/vendor_completions.d/dagctl.fish"
done

rpmarch() { case $1 in amd64) echo x86_64 ;; arm64) echo aarch64 ;; esac; }
for arch in amd64 arm64; do
	rpm=$(ls dist/dagctl-*."$(rpmarch $arch)".rpm 2>/dev/null | head -1)
	if [ -z "$rpm" ]; then
		bad "no .rpm for $arch"
		continue
	fi
	q() { rpm -qp --nosignature --qf "$1" "$rpm" 2>/dev/null; }
	same "$rpm: Name" "$(q '%{NAME}')" dagctl
	same "$rpm: Version (~ and _ for -)" "$(q '%{VERSION}' | tr '~_' '--')" "$version"
	same "$rpm: Arch" "$(q '%{ARCH}')" "$(rpmarch $arch)"
	same "$rpm: License" "$(q '%{LICENSE}')" MIT
	same "$rpm: URL" "$(q '%{URL}')" "$HOMEPAGE"
	check "$rpm: Packager ($(q '%{PACKAGER}'))" test -n "$(q '%{PACKAGER}')"
	check "$rpm: Summary" grep -q Airflow <<<"$(q '%{SUMMARY}')"
	rpm -qlp --nosignature "$rpm" 2>/dev/null | sort >"$tmp/rpm-$arch"
	if diff -u "$tmp/deb-$arch" "$tmp/rpm-$arch" >"$tmp/diff"; then
		ok "$rpm: the same file list as the .deb"
	else
		bad "$rpm: file list differs from the .deb's"
		sed 's/^/        /' "$tmp/diff"
	fi
	bindir=$(ls -d dist/dagctl_linux_"${arch}"_*/ | head -1)
	want=$(sha256sum "$bindir/dagctl" | cut -d' ' -f1)
	got=$(rpm -qp --nosignature --dump "$rpm" 2>/dev/null | awk '$1 == "/usr/bin/dagctl" { print $4 }')
	same "$rpm: /usr/bin/dagctl is the linux/$arch build (sha256)" "${got:0:16}" "${want:0:16}"
done

echo
echo "release-check: dist/: $pass checks ok, $fail failed ($((SECONDS - started)) s so far)"
[ "$fail" -eq 0 ] || exit 1

if ! $dist_only; then
	step "install check"
	./scripts/install-check.sh
fi
echo
echo "release-check: done in $((SECONDS - started)) s"
