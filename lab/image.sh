#!/usr/bin/env bash
# Build the local systemd test image for the wgnet.wireguard lab:
#     localhost/wgnet-debian:bookworm
#
# mmdebstrap (variant minbase) -> rootfs tarball -> `podman import`.
# Nothing is pulled from a registry; packages come from the Debian mirror(s)
# the host's apt already uses.
#
# The build is skipped when the image exists and its label
# "org.wgnet.lab.inputs" equals the hash of the package list + this script,
# so editing either rebuilds. The tarball is cached under .lab/ (gitignored)
# keyed by the same hash.
#
# Usage: lab/image.sh [--force] [--check]
#   --force   rebuild the tarball and re-import even if up to date
#   --check   exit 0 if the image is up to date, 1 otherwise; build nothing
#
# Environment:
#   LAB_IMAGE         image name        (default localhost/wgnet-debian:bookworm)
#   LAB_CACHE_DIR     tarball cache     (default <repo>/.lab)
#   LAB_MIRROR        override the apt sources: a mirror URL, a one-line
#                     "deb ..." entry or a sources file (default: derived
#                     from the host's apt configuration)
#   LAB_NO_APT=1      never apt-get install missing host tools, just fail
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(dirname "$LAB_DIR")
export CONTAINERS_CONF="$LAB_DIR/containers.conf"

SUITE=bookworm
IMAGE=${LAB_IMAGE:-localhost/wgnet-debian:$SUITE}
CACHE_DIR=${LAB_CACHE_DIR:-$REPO_DIR/.lab}
LABEL_KEY=org.wgnet.lab.inputs

# Keep sorted; changing this list changes the hash and rebuilds the image.
PACKAGES=(
  busybox
  ca-certificates
  conntrack
  curl
  dbus
  firewalld
  iproute2
  iptables
  iputils-ping
  kmod
  netcat-openbsd
  nftables
  openssh-server
  procps
  python3
  python3-apt
  sudo
  systemd
  systemd-sysv
  tcpdump
  ufw
  wireguard-go
  wireguard-tools
)

# Units to mask because they cannot work in a container and would leave
# `systemctl is-system-running` at "degraded". Checked on podman 4.3 + runc
# (Debian 12 host, hybrid cgroups): the image boots to "running" with nothing
# masked, so the list is empty; add units here if a host shows otherwise
# (`lab.py up` reports failed units).
MASK_UNITS=(
)

log() { printf '[image.sh] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }

FORCE=0
CHECK=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument: $arg" ;;
  esac
done

T_START=$(now)

# --- inputs hash -------------------------------------------------------------
INPUTS_HASH=$(
  {
    printf '%s\n' "${PACKAGES[@]}"
    cat "${BASH_SOURCE[0]}"
  } | sha256sum | cut -c1-16
)

# Untagged lab images left by earlier builds (podman rmi refuses those still
# used by a container; they go on a later run).
prune_old_images() {
  local id
  for id in $(podman images --quiet --filter dangling=true --filter "label=$LABEL_KEY" 2>/dev/null | sort -u); do
    if podman rmi "$id" >/dev/null 2>&1; then log "removed old lab image $id"; fi
  done
}

image_hash() {
  podman image inspect --format "{{ index .Labels \"$LABEL_KEY\" }}" "$IMAGE" 2>/dev/null || true
}

CURRENT_HASH=""
if command -v podman >/dev/null; then CURRENT_HASH=$(image_hash); fi
if [[ $CHECK == 1 ]]; then
  [[ $CURRENT_HASH == "$INPUTS_HASH" ]] && { log "$IMAGE is up to date ($INPUTS_HASH)"; exit 0; }
  log "$IMAGE needs a build (image: '${CURRENT_HASH:-absent}', inputs: $INPUTS_HASH)"
  exit 1
fi
if [[ $FORCE == 0 && $CURRENT_HASH == "$INPUTS_HASH" ]]; then
  log "$IMAGE is up to date (inputs $INPUTS_HASH); nothing to do"
  prune_old_images
  exit 0
fi

# --- host tools ----------------------------------------------------------------
ensure_host_tools() {
  local missing=() pkg bin
  for pair in podman:podman runc:runc mmdebstrap:mmdebstrap newuidmap:uidmap; do
    bin=${pair%%:*}; pkg=${pair#*:}
    command -v "$bin" >/dev/null || missing+=("$pkg")
  done
  [[ ${#missing[@]} == 0 ]] && return 0
  if [[ ${LAB_NO_APT:-0} != 1 && $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    log "installing missing host packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -q
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
  else
    die "missing host packages: ${missing[*]} (apt-get install -y ${missing[*]})"
  fi
}
ensure_host_tools

# --- apt sources for the rootfs ------------------------------------------------
# Ask the host's apt which repositories it uses (works for one-line and deb822
# sources alike, skips disabled entries) and keep those serving $SUITE and its
# -updates / -security suites. Emits one-line "deb URI SUITE COMPONENTS...".
host_sources() {
  # shellcheck disable=SC2016  # $(...) are apt-get format fields
  apt-get indextargets --format '$(TARGET_OF) $(REPO_URI) $(RELEASE) $(COMPONENT)' \
      'Identifier: Packages' 2>/dev/null |
    awk -v suite="$SUITE" '
      $1 == "deb" && ($3 == suite || index($3, suite "-") == 1) {
        key = $2 " " $3
        if (!(key in comps)) { order[++n] = key; comps[key] = "" }
        if (index(" " comps[key] " ", " " $4 " ") == 0) comps[key] = comps[key] " " $4
      }
      END { for (i = 1; i <= n; i++) print "deb " order[i] comps[order[i]] }'
}

SOURCES_FILE=$(mktemp)
BUILD_TMP=""
cleanup() {
  rm -f "$SOURCES_FILE"
  [[ -n $BUILD_TMP ]] && rm -f "$BUILD_TMP"
  return 0
}
trap cleanup EXIT

if [[ -n ${LAB_MIRROR:-} ]]; then
  if [[ -f $LAB_MIRROR ]]; then cp "$LAB_MIRROR" "$SOURCES_FILE"
  elif [[ $LAB_MIRROR == deb\ * ]]; then printf '%s\n' "$LAB_MIRROR" >"$SOURCES_FILE"
  else printf 'deb %s %s main\n' "$LAB_MIRROR" "$SUITE" >"$SOURCES_FILE"
  fi
else
  host_sources >"$SOURCES_FILE"
  if [[ ! -s $SOURCES_FILE ]]; then
    log "host apt has no $SUITE sources; falling back to deb.debian.org"
    printf 'deb http://deb.debian.org/debian %s main\n' "$SUITE" >"$SOURCES_FILE"
  fi
fi
log "apt sources for the image:"
sed 's/^/    /' "$SOURCES_FILE" >&2

# Options the host's apt needs to reach its mirror (e.g. a snapshot mirror
# whose Release files are past Valid-Until, or a proxy) apply to the build too.
APTOPTS=()
while read -r opt; do
  [[ -n $opt ]] && APTOPTS+=("--aptopt=$opt")
done < <(apt-config dump 2>/dev/null |
         grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy|Proxy) ' || true)

# --- build the rootfs tarball ----------------------------------------------------
mkdir -p "$CACHE_DIR"
TARBALL="$CACHE_DIR/rootfs-$SUITE-$INPUTS_HASH.tar"

exec 9>"$CACHE_DIR/image.lock"
flock 9
# another run may have built it while we waited for the lock
if [[ $FORCE == 0 && $(image_hash) == "$INPUTS_HASH" ]]; then
  log "$IMAGE was built meanwhile (inputs $INPUTS_HASH); nothing to do"
  exit 0
fi

if [[ $FORCE == 1 || ! -s $TARBALL ]]; then
  BUILD_TMP="$CACHE_DIR/.rootfs-$SUITE-$INPUTS_HASH.tmp.tar"
  T_DEB=$(now)
  include=$(IFS=,; echo "${PACKAGES[*]}")
  log "mmdebstrap $SUITE (minbase + ${#PACKAGES[@]} packages) -> $TARBALL"
  # Customize hooks run on the host with the rootfs as $1 (single quotes on
  # purpose). firewalld is installed but disabled: it would filter WireGuard
  # traffic; a scenario enables it deliberately. /etc/hostname and
  # /etc/resolv.conf would otherwise be copies of the build machine's.
  # shellcheck disable=SC2016
  hooks=(
    --customize-hook='chroot "$1" systemctl disable firewalld.service'
    --customize-hook='echo localhost > "$1/etc/hostname"'
    --customize-hook='rm -f "$1/etc/resolv.conf"'
    --customize-hook=': > "$1/etc/machine-id"'
    # SSH as users run it: host keys made at each container's first boot (the
    # image must not carry one shared key pair), no passwords, and a non-root
    # "deploy" user with passwordless sudo. lab.py installs the lab's own
    # authorized key when it starts a container; no key is in the image.
    --customize-hook='rm -f "$1"/etc/ssh/ssh_host_*'
    --customize-hook='printf "%s\n" "[Unit]" "Description=SSH host keys for this container" "Before=ssh.service" "ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key" "[Service]" "Type=oneshot" "ExecStart=/usr/bin/ssh-keygen -A" "[Install]" "RequiredBy=ssh.service" > "$1/etc/systemd/system/wgnet-ssh-hostkeys.service"'
    --customize-hook='chroot "$1" systemctl enable wgnet-ssh-hostkeys.service ssh.service'
    --customize-hook='printf "%s\n" "PasswordAuthentication no" "KbdInteractiveAuthentication no" "UseDNS no" > "$1/etc/ssh/sshd_config.d/wgnet-lab.conf"'
    --customize-hook='chroot "$1" useradd --create-home --shell /bin/bash deploy'
    --customize-hook='printf "%s\n" "deploy ALL=(ALL) NOPASSWD: ALL" > "$1/etc/sudoers.d/deploy" && chmod 0440 "$1/etc/sudoers.d/deploy"'
    # ufw is installed for the gateway scenario's ufw host; Debian ships it
    # disabled (ENABLED=no), so other hosts are unaffected.
  )
  if [[ ${#MASK_UNITS[@]} -gt 0 ]]; then
    hooks+=("--customize-hook=chroot \"\$1\" systemctl mask ${MASK_UNITS[*]}")
  fi
  mmdebstrap \
    --variant=minbase \
    --format=tar \
    --include="$include" \
    "${APTOPTS[@]}" \
    --skip=cleanup/apt/lists \
    "${hooks[@]}" \
    "$SUITE" "$BUILD_TMP" - <"$SOURCES_FILE"
  mv -f "$BUILD_TMP" "$TARBALL"
  BUILD_TMP=""
  # drop tarballs of older inputs
  find "$CACHE_DIR" -maxdepth 1 -name "rootfs-$SUITE-*.tar" ! -name "$(basename "$TARBALL")" -delete
  log "rootfs built in $(elapsed "$T_DEB")s ($(du -h "$TARBALL" | cut -f1))"
else
  log "using cached $TARBALL"
fi

# --- import ----------------------------------------------------------------------
T_IMP=$(now)
OLD_ID=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
podman import --quiet \
  --change "LABEL $LABEL_KEY=$INPUTS_HASH" \
  --change 'CMD ["/sbin/init"]' \
  --change 'STOPSIGNAL SIGRTMIN+3' \
  --change 'ENV container=podman' \
  --message "wgnet lab image ($SUITE, inputs $INPUTS_HASH)" \
  "$TARBALL" "$IMAGE" >/dev/null
NEW_ID=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [[ -n $OLD_ID && $OLD_ID != "$NEW_ID" ]]; then
  # the previous build is now untagged; drop it unless a container still uses it
  podman rmi "$OLD_ID" >/dev/null 2>&1 || log "old image ${OLD_ID:0:12} still in use; left in place"
fi
prune_old_images
log "imported $IMAGE (${NEW_ID:0:12}) in $(elapsed "$T_IMP")s"
log "total $(elapsed "$T_START")s"
