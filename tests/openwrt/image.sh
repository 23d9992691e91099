#!/usr/bin/env bash
# Build the OpenWrt emulation image localhost/wgnet-openwrt-emu:<release>
# from the lab base image (lab/image.sh builds that one) with `podman build`,
# offline. Skipped when the image's label "org.wgnet.owrt-emu.inputs" equals
# the hash of the base image id + the release + the files under
# tests/openwrt/ it uses. Releases: 23.05 (opkg), 25.12 (apk-tools v3).
#
# Usage: tests/openwrt/image.sh [--force] [--check]
# Environment: OWRT_EMU_RELEASE (23.05 or 25.12; default: the image tag, else 23.05),
#              OWRT_EMU_IMAGE (default localhost/wgnet-openwrt-emu:<release>),
#              LAB_BASE_IMAGE (default localhost/wgnet-debian:bookworm)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_DIR=$(cd "$HERE/../.." && pwd)
export CONTAINERS_CONF=${CONTAINERS_CONF:-$REPO_DIR/lab/containers.conf}
if [[ -z ${OWRT_EMU_RELEASE:-} && ${OWRT_EMU_IMAGE:-} == *:* ]]; then
  OWRT_EMU_RELEASE=${OWRT_EMU_IMAGE##*:}
fi
RELEASE=${OWRT_EMU_RELEASE:-23.05}
case $RELEASE in 23.05 | 25.12) ;; *) echo "[openwrt/image.sh] unknown release $RELEASE (23.05 or 25.12)" >&2; exit 2 ;; esac
IMAGE=${OWRT_EMU_IMAGE:-localhost/wgnet-openwrt-emu:$RELEASE}
BASE=${LAB_BASE_IMAGE:-localhost/wgnet-debian:bookworm}
LABEL_KEY=org.wgnet.owrt-emu.inputs

log() { printf '[openwrt/image.sh] %s\n' "$*" >&2; }

FORCE=0 CHECK=0
for arg in "$@"; do
  case $arg in
    --force) FORCE=1 ;;
    --check) CHECK=1 ;;
    *) log "unknown argument: $arg"; exit 2 ;;
  esac
done

if ! podman image exists "$BASE"; then
  log "base image $BASE missing: building it with lab/image.sh"
  LAB_IMAGE=$BASE bash "$REPO_DIR/lab/image.sh"
fi
BASE_ID=$(podman image inspect --format '{{.Id}}' "$BASE")

INPUTS=$(
  cd "$HERE"
  {
    echo "$BASE_ID"
    echo "release $RELEASE"
    # shellcheck disable=SC2016  # the inner sh expands them
    find Containerfile image.sh rootfs -type f -not -path '*/__pycache__/*' -print0 | sort -z |
      xargs -0 sh -c 'for f; do printf "%s %s\n" "$(stat -c %a "$f")" "$f"; cat "$f"; done' sh
  } | sha256sum | cut -c1-16
)
CURRENT=$(podman image inspect --format "{{ index .Labels \"$LABEL_KEY\" }}" "$IMAGE" 2>/dev/null || true)

if [[ $CHECK == 1 ]]; then
  [[ $CURRENT == "$INPUTS" ]] && { log "$IMAGE is up to date ($INPUTS)"; exit 0; }
  log "$IMAGE needs a build (image: '${CURRENT:-absent}', inputs: $INPUTS)"
  exit 1
fi
if [[ $FORCE == 0 && $CURRENT == "$INPUTS" ]]; then
  log "$IMAGE is up to date (inputs $INPUTS)"
  exit 0
fi

mkdir -p "$REPO_DIR/.lab"
exec 9>"$REPO_DIR/.lab/owrt-emu-image-$RELEASE.lock"
flock 9
# another run (a parallel lab.py up) may have built it while we waited
CURRENT=$(podman image inspect --format "{{ index .Labels \"$LABEL_KEY\" }}" "$IMAGE" 2>/dev/null || true)
if [[ $FORCE == 0 && $CURRENT == "$INPUTS" ]]; then
  log "$IMAGE was built meanwhile (inputs $INPUTS)"
  exit 0
fi
OLD_ID=$(podman image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null || true)
t0=$(date +%s)
podman build --pull=never --quiet --label "$LABEL_KEY=$INPUTS" --build-arg "OWRT_EMU_RELEASE=$RELEASE" \
  -f "$HERE/Containerfile" -t "$IMAGE" "$HERE" >/dev/null
NEW_ID=$(podman image inspect --format '{{.Id}}' "$IMAGE")
if [[ -n $OLD_ID && $OLD_ID != "$NEW_ID" ]]; then
  podman rmi "$OLD_ID" >/dev/null 2>&1 || log "old image ${OLD_ID:0:12} still in use; left in place"
fi
log "built $IMAGE (${NEW_ID:0:12}, inputs $INPUTS) in $(( $(date +%s) - t0 ))s"
