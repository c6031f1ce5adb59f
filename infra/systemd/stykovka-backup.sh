#!/bin/sh
# Backup of the on-prem hub's data folder (README, «Где хранить персональные данные»).
#
# bbolt is consistent only as a whole file at one instant: a copy taken while `serve` writes
# may mix pages of different transactions. So the service is stopped for the copy (a few
# seconds; 1C retries, EMIS and the PMS retry their webhooks), or, with no stop at all, the
# copy is taken from a filesystem snapshot (LVM, ZFS, btrfs) of the volume holding
# /var/lib/stykovka: every bbolt commit is on disk, so a snapshot is what a power cut would
# leave, and bbolt opens it.
#
# The sealing key (keys/seal.key) is NOT in the archive: keep it apart from the backups (it
# opens the personal data in them), copied once to a safe place. Backups hold personal data
# (sealed) of their day: keep them no longer than needed (KEEP_DAYS).
#
# Usage (root): stykovka-backup.sh [/var/backups/stykovka]   (KEEP_DAYS=7 by default)
set -eu
DATA=${DATA:-/var/lib/stykovka}
DEST=${1:-/var/backups/stykovka}
KEEP_DAYS=${KEEP_DAYS:-7}
STAMP=$(date -u +%Y%m%dT%H%M%SZ)

install -d -m 0700 "$DEST"
systemctl stop stykovka
trap 'systemctl start stykovka' EXIT
tar -C "$(dirname "$DATA")" --exclude="$(basename "$DATA")/keys" -czf "$DEST/stykovka-$STAMP.tar.gz.part" "$(basename "$DATA")"
systemctl start stykovka
trap - EXIT
mv "$DEST/stykovka-$STAMP.tar.gz.part" "$DEST/stykovka-$STAMP.tar.gz"
chmod 0600 "$DEST/stykovka-$STAMP.tar.gz"
find "$DEST" -name 'stykovka-*.tar.gz' -mtime "+$KEEP_DAYS" -delete
echo "backup: $DEST/stykovka-$STAMP.tar.gz"
