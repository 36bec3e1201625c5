#!/bin/sh
# list-rooms.sh (make bench-list): what one LIST_ROOMS costs against an
# ocmd with many rooms (OCM_BENCH_ROOMS, 100,000 by default), on its main
# thread, for an unauthenticated client.  ocm-peer asks OCM_BENCH_LISTS
# times (200) for the first page (1,000 rooms), each on a new connection,
# then as often for the empty page after every name: the same connection
# and walk of the directory, without a page to pick; and first of all as
# often with no rooms at all, the connection alone.  Prints the medians.
. "$top_srcdir/tests/integration/lib.sh"

ROOMS=${OCM_BENCH_ROOMS:-100000}
LISTS=${OCM_BENCH_LISTS:-200}
max=$((ROOMS + 10))
# The rooms' hosts never come online: the rooms must outlast the run.
ocmd_start "max_rooms = $max" "max_rooms_per_address = $max" "max_members = $max" \
	"max_members_per_address = $max" "timeout_s = 86400"
peer timed-list "$LISTS" | sed 's/^/no rooms: /'
awk -v n="$ROOMS" 'BEGIN { for (i = 0; i < n; i++) printf "room-%d\n", (i * 7919) % n }' \
	> "$T/names"
start=$(date +%s)
peer create-many "$T/names" 8 > "$T/create.out" || fail "create-many: $(cat "$T/create.out")"
has "$T/create.out" "code ok $ROOMS"
echo "made $ROOMS rooms in $(( $(date +%s) - start )) s"
peer timed-list "$LISTS" | sed 's/^/first page: /'
peer timed-list "$LISTS" "~" | sed 's/^/empty page: /'
ocmd_stop
