#!/usr/bin/env bash
# build-chaos-mesh.sh: build Chaos Mesh's chaos-controller-manager from the Go
# module proxy into the test cluster's cache, and its CRD manifest next to
# it, for `testcluster up --chaos-mesh`. build.sh runs it when CHAOS_MESH=1;
# it also runs on its own. Idempotent: with the binary, the CRDs and the
# VERSIONS lines in place it returns at once.
#
# chaos-daemon is not built: at run time it needs helpers that are not Go
# (nsexec, pause, toda, tproxy), which cannot be had here.
#
#   NVMF_CHAOS_K8S_CACHE     cache dir (same default as build.sh)
#   CHAOS_MESH_VERSION       github.com/chaos-mesh/chaos-mesh version
#   CHAOS_MESH_API_VERSION   github.com/chaos-mesh/chaos-mesh/api version
#   CONTROLLER_GEN_VERSION   sigs.k8s.io/controller-tools version (upstream's pin)
#   K8S_BUILD_PARALLEL       go build -p (default 2)
#
# The proxy serves chaos-mesh only as master pseudo-versions, and its go.mod
# replaces the api module with ./api, a path a dependency's replace cannot
# use: the wrapper module in $CACHE/src/chaos-mesh points the api at its own
# served version and copies upstream's other (versioned) replaces, which a
# dependency's go.mod cannot impose either.
#
# The CRDs are generated from that api version with upstream's own
# command (controller-gen crd:ignoreUnexportedFields=true,crdVersions=v1;
# manifests/crd.yaml is their concatenation), not copied from the main
# module: its manifests/crd.yaml is older than the only served api and
# lacks NetworkChaos spec.partitionBehavior, which the webhooks default.
# The API server prunes the field, the next update by the controller
# differs from the stored spec, and the validating webhook refuses every
# update ("Cannot update chaos spec"): no NetworkChaos ever gets its
# finalizer or status.
#
# Writes $CACHE/bin/chaos-controller-manager, $CACHE/chaos-mesh/crd.yaml and
# the lines "chaos-mesh VERSION GO", "chaos-mesh-api VERSION GO" and
# "controller-gen VERSION GO" of $CACHE/bin/VERSIONS (other lines are kept).
set -euo pipefail

CHAOS_MESH_VERSION=${CHAOS_MESH_VERSION:-v0.9.1-0.20260902003049-47411975a8cb}
CHAOS_MESH_API_VERSION=${CHAOS_MESH_API_VERSION:-v0.0.0-20260906172039-d70b66ad97ac}
CONTROLLER_GEN_VERSION=${CONTROLLER_GEN_VERSION:-v0.18.0}
PARALLEL=${K8S_BUILD_PARALLEL:-2}

CACHE=${NVMF_CHAOS_K8S_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nvmf-chaos/k8s}
BIN=$CACHE/bin
SRC=$CACHE/src
MANIFESTS=$CACHE/chaos-mesh

MOD=github.com/chaos-mesh/chaos-mesh
CMDS=(chaos-controller-manager)

log() { printf '[chaos-mesh-build] %s\n' "$*" >&2; }
die() { printf '[chaos-mesh-build] error: %s\n' "$*" >&2; exit 1; }
start_all=$EPOCHREALTIME
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

command -v go >/dev/null || die "go not found in PATH"
GOVER=$(go env GOVERSION)
BIN_LINES=("chaos-mesh $CHAOS_MESH_VERSION $GOVER" "chaos-mesh-api $CHAOS_MESH_API_VERSION $GOVER")
CRD_LINES=("chaos-mesh-api $CHAOS_MESH_API_VERSION $GOVER" "controller-gen $CONTROLLER_GEN_VERSION $GOVER")

has_lines() {
	local l
	[ -f "$BIN/VERSIONS" ] || return 1
	for l in "$@"; do grep -qxF "$l" "$BIN/VERSIONS" || return 1; done
}
bin_done() {
	local b
	for b in "${CMDS[@]}"; do [ -x "$BIN/$b" ] || return 1; done
	has_lines "${BIN_LINES[@]}"
}
crds_done() { [ -s "$MANIFESTS/crd.yaml" ] && has_lines "${CRD_LINES[@]}"; }

# record NAME VERSION: set that line of VERSIONS, keep every other line.
record() {
	local tmp
	tmp=$(mktemp "$BIN/.VERSIONS.XXXXXX")
	{
		[ -f "$BIN/VERSIONS" ] && grep -v "^$1 " "$BIN/VERSIONS" || true
		printf '%s %s %s\n' "$1" "$2" "$GOVER"
	} >"$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$BIN/VERSIONS"
}

if bin_done && crds_done; then
	echo "chaos-mesh $CHAOS_MESH_VERSION up to date in $BIN"
	exit 0
fi

mkdir -p "$BIN" "$SRC/chaos-mesh" "$MANIFESTS"
export GOWORK=off GOTOOLCHAIN=local GOFLAGS="-mod=mod -buildvcs=false"
dir=$SRC/chaos-mesh
log "chaos-mesh $CHAOS_MESH_VERSION (api $CHAOS_MESH_API_VERSION) with $GOVER (-p $PARALLEL)"

# The wrapper module: needed by both steps (controller-gen loads the api
# through it, at the version the controller is built with).
write_wrapper() {
	local info gomod replaces goline
	# Upstream's go.mod, for its versioned replaces; downloads the module.
	info=$(cd "$SRC" && go mod download -json "$MOD@$CHAOS_MESH_VERSION") ||
		die "could not download $MOD@$CHAOS_MESH_VERSION"
	gomod=$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$info")
	[ -f "$gomod" ] || die "no go.mod for $MOD@$CHAOS_MESH_VERSION"
	# Every replace of the block and single-line forms whose target is a
	# module version, not a local path (./api is the one we redo).
	replaces=$(awk '
		function emit(s,  parts) {
			split(s, parts, "=>")
			if (parts[2] ~ /^[[:space:]]*\./) return
			printf "\t%s\n", s
		}
		$1 == "replace" && $2 == "(" { inblk = 1; next }
		inblk && $1 == ")" { inblk = 0; next }
		inblk && /=>/ { sub(/^[[:space:]]+/, ""); emit($0); next }
		$1 == "replace" && /=>/ { sub(/^replace[[:space:]]+/, ""); emit($0) }
	' "$gomod")
	goline=$(awk '$1 == "go" { print; exit }' "$gomod")
	{
		echo "// Generated by scripts/k8s/build-chaos-mesh.sh: wrapper to build chaos-mesh $CHAOS_MESH_VERSION."
		echo "module nvmf-chaos.local/k8s-toolchain/chaos-mesh"
		echo
		echo "${goline:-go 1.25.0}"
		echo
		echo "require $MOD $CHAOS_MESH_VERSION"
		echo
		echo "replace ("
		printf '\t%s/api => %s/api %s\n' "$MOD" "$MOD" "$CHAOS_MESH_API_VERSION"
		printf '%s\n' "$replaces"
		echo ")"
	} >"$dir/go.mod"
	log "wrapper module with $(wc -l <<<"$replaces") upstream replaces and the api at $CHAOS_MESH_API_VERSION"
}

build_controller() {
	local t commit pkgs c
	if bin_done; then
		log "${CMDS[*]}: up to date"
		return
	fi
	t=$EPOCHREALTIME
	# The pseudo-version ends in the commit's short hash: the version
	# banner the controller prints at start names the commit.
	commit=${CHAOS_MESH_VERSION##*-}
	pkgs=()
	for c in "${CMDS[@]}"; do pkgs+=("$MOD/cmd/$c"); done
	(
		cd "$dir"
		CGO_ENABLED=0 go build -p "$PARALLEL" -trimpath \
			-ldflags "-s -w -X $MOD/pkg/version.gitVersion=$CHAOS_MESH_VERSION -X $MOD/pkg/version.gitCommit=$commit" \
			-o "$BIN/" "${pkgs[@]}"
	)
	record chaos-mesh "$CHAOS_MESH_VERSION"
	record chaos-mesh-api "$CHAOS_MESH_API_VERSION"
	log "${CMDS[*]}: built in $(elapsed "$t") s"
}

build_crds() {
	local t gen f n
	if crds_done; then
		log "CRDs: up to date"
		return
	fi
	t=$EPOCHREALTIME
	(
		cd "$SRC"
		GOBIN=$dir/tools CGO_ENABLED=0 go install -trimpath -ldflags "-s -w" \
			"sigs.k8s.io/controller-tools/cmd/controller-gen@$CONTROLLER_GEN_VERSION"
	)
	gen=$(mktemp -d "$MANIFESTS/.gen.XXXXXX")
	(
		cd "$dir"
		"$dir/tools/controller-gen" crd:ignoreUnexportedFields=true,crdVersions=v1 \
			paths="$MOD/api/v1alpha1" output:crd:dir="$gen"
	)
	n=0
	for f in "$gen"/*.yaml; do
		[ -f "$f" ] || continue
		echo "---"
		cat "$f"
		n=$((n + 1))
	done >"$MANIFESTS/crd.yaml.tmp"
	rm -rf "$gen"
	[ "$n" -gt 0 ] || die "controller-gen wrote no CRDs"
	chmod 644 "$MANIFESTS/crd.yaml.tmp"
	mv "$MANIFESTS/crd.yaml.tmp" "$MANIFESTS/crd.yaml"
	record chaos-mesh-api "$CHAOS_MESH_API_VERSION"
	record controller-gen "$CONTROLLER_GEN_VERSION"
	log "CRDs: $n generated in $(elapsed "$t") s"
}

write_wrapper
build_controller
build_crds
bin_done && crds_done || die "build finished but $BIN is not up to date"
echo "chaos-mesh ready in $BIN ($(elapsed "$start_all") s)"
