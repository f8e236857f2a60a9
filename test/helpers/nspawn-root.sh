#!/usr/bin/env bash
# Builds the cached Debian root for the systemd-nspawn tests (test/helpers/nspawn-root.ts runs it under flock).
# Usage: nspawn-root.sh CACHE STAMP MIRROR KEYRING PACKAGES HOSTNAME
# Atomic: debootstrap writes CACHE.tmp-PID, the stamp is written last, then the directory is renamed into place, so
# a killed build never leaves a half root at CACHE. A killed build's leftover may still have proc, sysfs or /dev
# mounted inside (debootstrap mounts them): those are unmounted before it is removed, and rm never crosses into
# another file system.
set -euo pipefail
cache=$1 stamp=$2 mirror=$3 keyring=$4 packages=$5 hostname=$6
if [ -f "$cache/.keypadd-test-root" ] && [ "$(cat "$cache/.keypadd-test-root")" = "$stamp" ]; then exit 0; fi
discard() {
  findmnt -rn -o TARGET | awk -v p="$1/" 'index($0, p) == 1' | sort -r | while read -r m; do umount -l "$m" || true; done
  rm -rf --one-file-system "$1"
}
for old in "$cache".tmp-* "$cache".old-*; do [ -e "$old" ] && discard "$old"; done
tmp="$cache.tmp-$$"
echo "building $cache from $mirror (debootstrap --variant=minbase, once)"
debootstrap --variant=minbase --include="$packages" ${keyring:+--keyring="$keyring"} bookworm "$tmp" "$mirror"
rm -f "$tmp"/var/cache/apt/archives/*.deb
# A name the container resolves (sudo looks its own host name up), and no getty on the read-only console.
echo "$hostname" > "$tmp/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 %s\n::1 localhost\n' "$hostname" > "$tmp/etc/hosts"
ln -sf /dev/null "$tmp/etc/systemd/system/console-getty.service"
printf '%s' "$stamp" > "$tmp/.keypadd-test-root"
if [ -e "$cache" ]; then mv "$cache" "$cache.old-$$"; fi
mv "$tmp" "$cache"
if [ -e "$cache.old-$$" ]; then discard "$cache.old-$$"; fi
echo "built $cache"
