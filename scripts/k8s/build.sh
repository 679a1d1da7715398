#!/usr/bin/env bash
# build.sh: build a real Kubernetes toolchain (kube-apiserver,
# kube-controller-manager, kube-scheduler, kubelet, kube-proxy, kubectl, etcd,
# containerd, containerd-shim-runc-v2, ctr, runc) from the Go module proxy into
# a cache outside the repository, and install the Debian packages a test
# cluster needs. Idempotent: with the binaries already built for the wanted
# versions it returns at once. Keeps the Go build cache, so a rebuild after a
# version bump or a lost bin/ is fast.
#
#   NVMF_CHAOS_K8S_CACHE  cache dir (default ${XDG_CACHE_HOME:-$HOME/.cache}/nvmf-chaos/k8s)
#   K8S_VERSION           Kubernetes version  (default v1.34.4)
#   ETCD_VERSION          etcd version        (default v3.6.4)
#   CONTAINERD_VERSION    containerd version  (default v2.4.2)
#   RUNC_VERSION          runc version        (default v1.5.3)
#   K8S_BUILD_PARALLEL    go build -p         (default 2)
#   CHAOS_MESH            1: also run build-chaos-mesh.sh (Chaos Mesh's
#                         controller manager and CRDs, ~7 min cold)
#
# Binaries end up in $CACHE/bin, wrapper Go modules in $CACHE/src/<name>,
# and $CACHE/bin/VERSIONS records what was built (one line per component;
# lines of other scripts, such as build-chaos-mesh.sh's, are kept).
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.34.4}
ETCD_VERSION=${ETCD_VERSION:-v3.6.4}
CONTAINERD_VERSION=${CONTAINERD_VERSION:-v2.4.2}
RUNC_VERSION=${RUNC_VERSION:-v1.5.3}
PARALLEL=${K8S_BUILD_PARALLEL:-2}

CACHE=${NVMF_CHAOS_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmf-chaos/k8s}
BIN=$CACHE/bin
SRC=$CACHE/src

DEB_PACKAGES=(libseccomp-dev containernetworking-plugins iptables ipset conntrack pkg-config)
KUBE_CMDS=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)
CONTAINERD_CMDS=(containerd containerd-shim-runc-v2 ctr)

log() { printf '[k8s-build] %s\n' "$*" >&2; }
die() { printf '[k8s-build] error: %s\n' "$*" >&2; exit 1; }

start_all=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
STEP_TIMES=()
step_done() { # name start
	local s
	s=$(elapsed "$2")
	STEP_TIMES+=("$1=${s}s")
	log "step $1: done in $s s"
}

# --- Debian packages (dpkg-query only: cheap on the warm path too) ----------
missing_packages() {
	local p st
	for p in "${DEB_PACKAGES[@]}"; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		[ "$st" = "install ok installed" ] || printf '%s\n' "$p"
	done
}

ensure_packages() {
	local missing t
	mapfile -t missing < <(missing_packages)
	[ "${#missing[@]}" -eq 0 ] && return 0
	if [ "$(id -u)" -ne 0 ]; then
		die "missing Debian packages (run as root or install them): ${missing[*]}"
	fi
	t=$EPOCHREALTIME
	log "installing Debian packages: ${missing[*]}"
	apt-get update -qq >/dev/null
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	step_done apt "$t"
}

ensure_packages

command -v go >/dev/null || die "go not found in PATH"
GOVER=$(go env GOVERSION)

# Wanted VERSIONS content: one line per component, with the Go that built it.
want_line() { printf '%s %s %s\n' "$1" "$2" "$GOVER"; }
WANT_VERSIONS=$(
	want_line kubernetes "$K8S_VERSION"
	want_line etcd "$ETCD_VERSION"
	want_line containerd "$CONTAINERD_VERSION"
	want_line runc "$RUNC_VERSION"
)
ALL_BINS=("${KUBE_CMDS[@]}" etcd "${CONTAINERD_CMDS[@]}" runc)
OWN_NAMES=(kubernetes etcd containerd runc)

# This script's lines of VERSIONS, in canonical order.
own_versions() {
	local n
	[ -f "$BIN/VERSIONS" ] || return 0
	for n in "${OWN_NAMES[@]}"; do grep -m1 "^$n " "$BIN/VERSIONS" || true; done
}

# finish runs the Chaos Mesh build when asked, so the warm path and a
# fresh build end the same way.
finish() {
	if [ "${CHAOS_MESH:-0}" = 1 ]; then
		"$(dirname "${BASH_SOURCE[0]}")/build-chaos-mesh.sh"
	fi
}

have_bins() {
	local b
	for b in "$@"; do [ -x "$BIN/$b" ] || return 1; done
}

# --- warm path --------------------------------------------------------------
if [ "$(own_versions)" = "$WANT_VERSIONS" ] && have_bins "${ALL_BINS[@]}"; then
	echo "k8s toolchain up to date in $BIN"
	finish
	exit 0
fi

mkdir -p "$BIN" "$SRC"
log "building into $CACHE with $GOVER (-p $PARALLEL)"

# Per-component bookkeeping: a component is rebuilt unless VERSIONS already
# has its exact line and all its binaries exist. VERSIONS is updated after
# each successful step, so an interrupted run resumes where it stopped.
component_done() { # name version bins...
	local line
	line=$(want_line "$1" "$2")
	shift 2
	[ -f "$BIN/VERSIONS" ] && grep -qxF "$line" "$BIN/VERSIONS" && have_bins "$@"
}
record() { # name version: set this component's line, keep the others, canonical order
	local tmp n l
	tmp=$(mktemp "$BIN/.VERSIONS.XXXXXX")
	{
		for n in "${OWN_NAMES[@]}"; do
			if [ "$n" = "$1" ]; then
				want_line "$1" "$2"
			elif [ -f "$BIN/VERSIONS" ] && l=$(grep -m1 "^$n " "$BIN/VERSIONS"); then
				printf '%s\n' "$l"
			fi
		done
		# Lines of other build scripts, after ours.
		if [ -f "$BIN/VERSIONS" ]; then
			grep -v -E "^($(IFS='|'; echo "${OWN_NAMES[*]}")) " "$BIN/VERSIONS" || true
		fi
	} >"$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$BIN/VERSIONS"
}

# Go environment shared by all steps: never the project's module or a
# workspace; the local toolchain; the default (persistent) GOCACHE.
export GOWORK=off GOTOOLCHAIN=local GOFLAGS=-buildvcs=false

# GoMod path of a module version in the module cache (downloads it if needed).
gomod_path() {
	(cd "$SRC" && GOFLAGS=-mod=mod go mod download -json "$1" |
		sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
}

# --- Kubernetes -------------------------------------------------------------
build_kubernetes() {
	local t dir gomod staging minor mods pkgs c
	if component_done kubernetes "$K8S_VERSION" "${KUBE_CMDS[@]}"; then
		log "kubernetes $K8S_VERSION: up to date"
		return
	fi
	t=$EPOCHREALTIME
	log "kubernetes $K8S_VERSION: ${KUBE_CMDS[*]} (one go build; ~12 min CPU cold)"
	dir=$SRC/kubernetes
	mkdir -p "$dir"
	gomod=$(gomod_path "k8s.io/kubernetes@$K8S_VERSION")
	[ -f "$gomod" ] || die "could not download k8s.io/kubernetes@$K8S_VERSION"
	# Every k8s.io/* module upstream replaces with its staging dir.
	mods=$(awk '
		$1 == "replace" && $2 == "(" { inblk = 1; next }
		inblk && $1 == ")" { inblk = 0; next }
		inblk && $2 == "=>" && $3 ~ /^\.\/staging\// { print $1; next }
		$1 == "replace" && $3 == "=>" && $4 ~ /^\.\/staging\// { print $2 }
	' "$gomod" | sort -u)
	[ -n "$mods" ] || die "no staging replace directives found in $gomod"
	staging=v0.${K8S_VERSION#v1.}
	minor=${K8S_VERSION#v1.}
	minor=${minor%%.*}
	{
		echo "// Generated by scripts/k8s/build.sh: wrapper to build Kubernetes $K8S_VERSION."
		echo "module nvmf-chaos.local/k8s-toolchain/kubernetes"
		echo
		echo "go 1.24.0"
		echo
		echo "godebug default=go1.24"
		echo
		echo "require k8s.io/kubernetes $K8S_VERSION"
		echo
		echo "replace ("
		for m in $mods; do printf '\t%s => %s %s\n' "$m" "$m" "$staging"; done
		echo ")"
	} >"$dir/go.mod"
	log "kubernetes: wrapper module with $(wc -w <<<"$mods") staging replaces ($staging)"
	pkgs=()
	for c in "${KUBE_CMDS[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$c"); done
	(
		cd "$dir"
		CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -p "$PARALLEL" -trimpath \
			-ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor" \
			-o "$BIN/" "${pkgs[@]}"
	)
	have_bins "${KUBE_CMDS[@]}" || die "kubernetes build left binaries missing"
	record kubernetes "$K8S_VERSION"
	step_done kubernetes "$t"
}

# --- etcd -------------------------------------------------------------------
# In etcd 3.6 the etcd main package is the root of go.etcd.io/etcd/server/v3.
# That module has replace directives, so `go install @version` refuses it:
# build it from a wrapper module instead.
build_etcd() {
	local t dir
	if component_done etcd "$ETCD_VERSION" etcd; then
		log "etcd $ETCD_VERSION: up to date"
		return
	fi
	t=$EPOCHREALTIME
	log "etcd $ETCD_VERSION"
	dir=$SRC/etcd
	mkdir -p "$dir"
	cat >"$dir/go.mod" <<-EOF
		// Generated by scripts/k8s/build.sh: wrapper to build etcd $ETCD_VERSION.
		module nvmf-chaos.local/k8s-toolchain/etcd

		go 1.23.0

		require go.etcd.io/etcd/server/v3 $ETCD_VERSION
	EOF
	(
		cd "$dir"
		CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" go build -p "$PARALLEL" -trimpath \
			-ldflags "-s -w" -o "$BIN/etcd" go.etcd.io/etcd/server/v3
	)
	record etcd "$ETCD_VERSION"
	step_done etcd "$t"
}

# --- containerd -------------------------------------------------------------
build_containerd() {
	local t pkgs c
	if component_done containerd "$CONTAINERD_VERSION" "${CONTAINERD_CMDS[@]}"; then
		log "containerd $CONTAINERD_VERSION: up to date"
		return
	fi
	t=$EPOCHREALTIME
	log "containerd $CONTAINERD_VERSION: ${CONTAINERD_CMDS[*]}"
	pkgs=()
	for c in "${CONTAINERD_CMDS[@]}"; do
		pkgs+=("github.com/containerd/containerd/v2/cmd/$c@$CONTAINERD_VERSION")
	done
	local pkg=github.com/containerd/containerd/v2
	(
		cd "$SRC"
		GOBIN=$BIN CGO_ENABLED=0 go install -p "$PARALLEL" -trimpath -tags no_btrfs \
			-ldflags "-s -w -X $pkg/version.Version=$CONTAINERD_VERSION -X $pkg/version.Package=$pkg" \
			"${pkgs[@]}"
	)
	record containerd "$CONTAINERD_VERSION"
	step_done containerd "$t"
}

# --- runc -------------------------------------------------------------------
build_runc() {
	local t
	if component_done runc "$RUNC_VERSION" runc; then
		log "runc $RUNC_VERSION: up to date"
		return
	fi
	t=$EPOCHREALTIME
	log "runc $RUNC_VERSION (cgo, seccomp)"
	command -v gcc >/dev/null || die "runc needs a C compiler (gcc) for cgo"
	pkg-config --exists libseccomp || die "runc needs libseccomp-dev (pkg-config libseccomp not found)"
	(
		cd "$SRC"
		GOBIN=$BIN CGO_ENABLED=1 go install -p "$PARALLEL" -trimpath -tags "seccomp urfave_cli_no_docs" \
			-ldflags "-s -w" "github.com/opencontainers/runc@$RUNC_VERSION"
	)
	record runc "$RUNC_VERSION"
	step_done runc "$t"
}

build_kubernetes
build_etcd
build_containerd
build_runc

have_bins "${ALL_BINS[@]}" || die "some binaries are missing in $BIN"
[ "$(own_versions)" = "$WANT_VERSIONS" ] || die "VERSIONS does not match after the build: $(cat "$BIN/VERSIONS")"

[ "${#STEP_TIMES[@]}" -gt 0 ] && log "step times: ${STEP_TIMES[*]}"
echo "k8s toolchain ready in $BIN ($(elapsed "$start_all") s)"
finish
