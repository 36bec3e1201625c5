#!/bin/bash
# inside.sh: the part of "make check-systemd" that runs inside the booted
# container (see check-systemd.sh).  The installed tree is at /ocm-root
# (read-only).  Installs it, creates the ocmd user with systemd-sysusers,
# then drives ocmd.service and its sockets with systemctl and checks what
# an administrator relies on.  One "ok:", "FAIL:" or "SKIP:" line per
# check; exits 1 if any check failed.  Every wait is bounded.
set -u

PORT=7600
SOCK=/run/ocmd/control.sock
W=$(mktemp -d /tmp/ocm-inside.XXXXXX)
PASSED=0
FAILED=0
SKIPPED=0
CLIENT_PIDS=""

ok() { echo "ok: $*"; PASSED=$((PASSED + 1)); }
bad() { echo "FAIL: $*"; FAILED=$((FAILED + 1)); }
skipped() { echo "SKIP: $*"; SKIPPED=$((SKIPPED + 1)); }
# check WHAT CMD...: ok or FAIL by CMD's status.
check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}
note() { echo "   $*"; }

cleanup() {
	local p
	for p in $CLIENT_PIDS; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$W"
}
trap cleanup EXIT

# bounded SECONDS CMD...: polls CMD every 0.1 s, at most SECONDS.
bounded() {
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

prop() { systemctl show -p "$1" --value "${2:-ocmd.service}"; }
has() { grep -q -- "$2" "$1" 2>/dev/null; }
journal() { journalctl --no-pager -o short-monotonic -n "${1:-60}" -u ocmd.service -u ocmd.socket -u ocmd-tcp.socket -u ocmd-udp.socket; }
# the tcp port is in LISTEN state (checked without waiting)
listening() { awk -v p=":$(printf '%04X' "$PORT")" 'FNR > 1 && $4 == "0A" && substr($2, length($2) - 4) == p { f = 1 } END { exit !f }' /proc/net/tcp /proc/net/tcp6; }

# client NAME ARGS...: ocm-client in pipe mode with --json, stdin from the
# fifo $W/NAME.in (opened here as the fd in $NAME_FD), output in $W/NAME.*
client() {
	local name=$1 fd
	shift
	mkfifo "$W/$name.in"
	OCM_PASSWORD= ocm-client -s 127.0.0.1 -p "$PORT" --known-servers "$W/known_servers" --json "$@" \
		<"$W/$name.in" >"$W/$name.out" 2>"$W/$name.err" &
	eval "PID_$name=\$!"
	CLIENT_PIDS="$CLIENT_PIDS $!"
	exec {fd}>"$W/$name.in"
	eval "FD_$name=\$fd"
}
# say NAME TEXT: NAME sends a chat line.
say() { eval "echo \"\$2\" >&\$FD_$1"; }
client_alive() { eval "kill -0 \$PID_$1" 2>/dev/null; }
# client_exit NAME SECONDS: waits for NAME to end; its status in STATUS.
client_exit() {
	local pid
	eval "pid=\$PID_$1"
	STATUS=124
	if bounded "$2" eval '! kill -0 $pid 2>/dev/null'; then
		STATUS=0
		wait "$pid" || STATUS=$?
	fi
	eval "exec {FD_$1}>&-"
	rm -f "$W/$1.in"
	return 0
}
show_client() {
	note "--- $1 stdout:"; sed 's/^/   | /' "$W/$1.out"
	note "--- $1 stderr:"; sed 's/^/   | /' "$W/$1.err"
}

CTL=""
# ocmctl is usable: present and not the "not functional yet" stub.
ctl_probe() {
	command -v ocmctl >/dev/null || { CTL="ocmctl not installed"; return; }
	if ocmctl list-rooms 2>&1 | grep -q 'not functional'; then
		CTL="ocmctl not available (still the stub)"
	fi
}
# ctl_lists WHO ROOM: "ocmctl list-rooms" as WHO (root or a user) shows ROOM.
ctl_lists() {
	local out rc=0
	if [ "$1" = root ]; then
		out=$(timeout 10 ocmctl list-rooms 2>&1) || rc=$?
	else
		out=$(timeout 10 setpriv --reuid="$1" --regid="$1" --init-groups ocmctl list-rooms 2>&1) || rc=$?
	fi
	if [ "$rc" -eq 0 ] && grep -qw -- "$2" <<<"$out"; then
		return 0
	fi
	note "ocmctl list-rooms as $1 exited $rc:"
	sed 's/^/   | /' <<<"$out"
	return 1
}

# ------------------------------------------------------------ install

echo "== install the built tree, create the user, load the units"
(cd /ocm-root && tar -cf - -- *) | tar -C / -xf - --keep-directory-symlink ||
	{ bad "copying /ocm-root into the container"; exit 1; }
missing=$(ldd /usr/sbin/ocmd /usr/bin/ocm-client 2>&1 | grep 'not found')
[ -z "$missing" ] || { bad "libraries missing in the container: $missing"; exit 1; }

sysusers=$(ls /usr/lib/sysusers.d/ocmd.conf /lib/sysusers.d/ocmd.conf 2>/dev/null | head -n 1)
check "sysusers.d/ocmd.conf installed ($sysusers)" test -n "$sysusers"
sysctld=$(ls /usr/lib/sysctl.d/50-ocmd.conf /lib/sysctl.d/50-ocmd.conf 2>/dev/null | head -n 1)
check "sysctl.d/50-ocmd.conf installed ($sysctld), raising net.core.rmem_max" \
	grep -q '^net.core.rmem_max = ' "${sysctld:-/nonexistent}"
systemd-sysusers ${sysusers:+"$sysusers"} 2>&1 | sed 's/^/   /'
if getent passwd ocmd >/dev/null && getent group ocmd >/dev/null; then
	uid=$(id -u ocmd)
	ok "systemd-sysusers created user and group ocmd ($(getent passwd ocmd))"
	check "ocmd is a system user (uid $uid < 1000) with group ocmd" \
		test "$uid" -lt 1000 -a "$(id -gn ocmd)" = ocmd
else
	bad "systemd-sysusers did not create user and group ocmd"
	exit 1
fi
check "systemd-sysusers created group ocmd-admin" getent group ocmd-admin
# an administrator in group ocmd, one in ocmd-admin too, and someone in neither
useradd --system --no-create-home --shell /usr/sbin/nologin -G ocmd ocmadm
useradd --system --no-create-home --shell /usr/sbin/nologin -G ocmd,ocmd-admin ocmboss
useradd --system --no-create-home --shell /usr/sbin/nologin outsider

systemctl daemon-reload
unitdir=$(dirname "$(systemctl show -p FragmentPath --value ocmd.service)")
check "systemd loads ocmd.service from $unitdir" test "$(prop LoadState)" = loaded
for u in ocmd.socket ocmd-tcp.socket ocmd-udp.socket; do
	check "systemd loads $u" test "$(prop LoadState "$u")" = loaded
done
check "ExecStart is the installed ocmd with -f -c /etc/ocmd/ocmd.conf" \
	grep -q 'path=/usr/sbin/ocmd ; argv\[\]=/usr/sbin/ocmd -f -c /etc/ocmd/ocmd.conf ' <<<"$(prop ExecStart)"
out=$(cd "$unitdir" && systemd-analyze verify --man=no ocmd.service ocmd.socket ocmd-tcp.socket ocmd-udp.socket 2>&1)
if [ -z "$out" ]; then ok "systemd-analyze verify: silent"; else bad "systemd-analyze verify:"; note "$out"; fi
out=$(systemd-analyze security --no-pager --threshold=20 ocmd.service 2>&1)
rc=$?
exposure=$(sed -n 's/.*Overall exposure level for ocmd.service: \([0-9.]*\).*/\1/p' <<<"$out")
if [ "$rc" -eq 0 ] && [ -n "$exposure" ]; then
	ok "systemd-analyze security: exposure $exposure (at most 2.0)"
else
	bad "systemd-analyze security: exposure '${exposure:-?}' (exit $rc), more than 2.0"
	grep '✗' <<<"$out" | sed 's/^/   /'
fi
ctl_probe

# ------------------------------------------------------------ start

echo "== systemctl start ocmd"
rc=0
timeout 60 systemctl start ocmd.service || rc=$?
# Nothing waits here: start must have returned only after READY=1, when
# ocmd is already listening.
now_listening=no
listening && now_listening=yes
state=$(systemctl show -p Type -p ActiveState -p SubState -p MainPID ocmd.service | sort | tr '\n' ' ')
if [ "$rc" -ne 0 ]; then
	bad "systemctl start ocmd exited $rc"
	journal 40 | sed 's/^/   | /'
fi
check "right after start: $state" grep -q 'ActiveState=active MainPID=[1-9][0-9]* SubState=running Type=notify' <<<"$state"
check "right after start, port $PORT is already listening (start waited for READY=1)" test $now_listening = yes
check "systemctl is-active ocmd" systemctl -q is-active ocmd.service
check "ocm-client -l right after start" eval 'timeout 10 ocm-client -s 127.0.0.1 -p $PORT --known-servers "$W/known_servers" -l >/dev/null 2>&1'
PID=$(prop MainPID)
check "WatchdogSec=30s is in force (WatchdogUSec=$(prop WatchdogUSec))" test "$(prop WatchdogUSec)" = 30s
check "ExecReload is /bin/kill -HUP \$MAINPID" grep -q 'argv\[\]=/bin/kill -HUP \$MAINPID' <<<"$(prop ExecReload)"
# ocmd's own warnings and errors (journal priority <= 4) since it started:
# the hardening must not make anything it does at start-up fail.
journalctl --sync 2>/dev/null
warnings=$(journalctl --no-pager -o cat -p warning _PID="$PID" 2>/dev/null)
if [ -z "$warnings" ]; then
	ok "ocmd logged no warning or error at start under the hardening"
else
	bad "ocmd logged warnings at start under the hardening:"; note "$warnings"
fi
status_text=$(prop StatusText)
check "STATUS= set at start: '$status_text'" test -n "$status_text"

echo "== hardening of the running ocmd (pid $PID)"
st=/proc/$PID/status
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print; exit }' "$st"; }
check "runs as user ocmd: Uid $(field Uid)" test "$(field Uid)" = "$uid $uid $uid $uid"
gid=$(getent group ocmd | cut -d: -f3)
check "runs as group ocmd: Gid $(field Gid)" test "$(field Gid)" = "$gid $gid $gid $gid"
check "no supplementary groups beyond ocmd: Groups '$(field Groups)'" eval 'test -z "$(field Groups)" || test "$(field Groups)" = "$gid"'
for c in CapInh CapPrm CapEff CapBnd CapAmb; do
	check "no capabilities: $c $(field $c)" test "$(field $c)" = 0000000000000000
done
check "NoNewPrivs $(field NoNewPrivs)" test "$(field NoNewPrivs)" = 1
check "seccomp filter on: Seccomp $(field Seccomp)" test "$(field Seccomp)" = 2
# mount options of MOUNTPOINT in the service's mount namespace
mnt_opts() { awk -v m="$1" '$5 == m { o = $6; for (i = 7; i <= NF; i++) if ($i == "-") { o = o " " $(i + 3); break } } END { print o }' "/proc/$PID/mountinfo"; }
check "/ is read-only for the service ($(mnt_opts / | cut -d, -f1))" grep -q '^ro' <<<"$(mnt_opts /)"
out=$(nsenter -t "$PID" -m touch /etc/ocm-probe 2>&1)
check "writing into /etc from the service's namespace fails: $out" grep -q 'Read-only file system' <<<"$out"
out=$(nsenter -t "$PID" -m touch /var/ocm-probe 2>&1)
check "writing into /var fails too: $out" grep -q 'Read-only file system' <<<"$out"
check "/var/lib/ocmd is writable (StateDirectory)" nsenter -t "$PID" -m sh -c 'touch /var/lib/ocmd/.probe && rm /var/lib/ocmd/.probe'
check "/var/lib/ocmd: $(stat -c '%U:%G %a' /var/lib/ocmd), owned by ocmd, mode 700" test "$(stat -c '%U:%G %a' /var/lib/ocmd)" = "ocmd:ocmd 700"
check "/tmp is private" grep -q ' /tmp ' "/proc/$PID/mountinfo"
check "/proc: hidepid=invisible, subset=pid ($(mnt_opts /proc))" grep -Eq 'hidepid=(invisible|2).*subset=pid|subset=pid.*hidepid=(invisible|2)' <<<"$(mnt_opts /proc)"
check "/dev is private (no /dev/vda, /dev/mem)" nsenter -t "$PID" -m sh -c '! test -e /dev/mem'
if [ -S $SOCK ]; then
	check "control socket $(stat -c '%A %U:%G' $SOCK): mode 0660, group ocmd" test "$(stat -c '%a %G' $SOCK)" = "660 ocmd"
else
	bad "no control socket $SOCK"
fi

echo "== a chat through the daemon"
client alice -u alice -c lobby
if bounded 10 has "$W/alice.out" '"type":"online"'; then
	ok "alice created room lobby"
else
	bad "alice did not get online in lobby"; show_client alice
fi
client bob -u bob -j lobby
if bounded 10 has "$W/bob.out" '"type":"online"'; then
	ok "bob joined lobby"
else
	bad "bob did not get online in lobby"; show_client bob
fi
say alice "hello from alice"
check "bob got alice's message" bounded 10 has "$W/bob.out" '"from":"alice","text":"hello from alice"'
say bob "hello from bob"
check "alice got bob's message" bounded 10 has "$W/alice.out" '"from":"bob","text":"hello from bob"'

echo "== the journal: fields per event, the catalog, no forged fields"
# in_journal WHAT MATCHES...: some entry of ocmd.service matches every
# FIELD=VALUE given and its message contains WHAT.
in_journal() {
	local what=$1
	shift
	journalctl --sync 2>/dev/null
	journalctl --no-pager -o cat -u ocmd.service "$@" 2>/dev/null | grep -qF -- "$what"
}
check "journalctl OCM_ROOM=lobby OCM_EVENT=room_created finds alice's room" \
	bounded 5 in_journal "room 'lobby' by 'alice'" OCM_ROOM=lobby OCM_EVENT=room_created \
	OCM_USER=alice OCM_ADDRESS=127.0.0.1
check "journalctl MESSAGE_ID=69b184ef9b5f4d17ba99bc2fdf37c3e1 finds bob joining" \
	bounded 5 in_journal "'bob' in room 'lobby'" MESSAGE_ID=69b184ef9b5f4d17ba99bc2fdf37c3e1
if journalctl --update-catalog 2>/dev/null &&
	journalctl --no-pager -x -u ocmd.service MESSAGE_ID=71499c20590b450fae22759ee6bd8832 2>/dev/null |
	grep -q "Room lobby created"; then
	ok "the installed catalog explains the events (journalctl -x: Room lobby created)"
else
	bad "journalctl -x shows no catalog text for room_created"
fi
forged="evil OCM_ROOM=forged OCM_ADDRESS=10.9.8.7"
client mallory -u "$forged" -c "x OCM_ROOM=forged"
if bounded 10 has "$W/mallory.out" '"type":"online"'; then
	check "a room named 'x OCM_ROOM=forged' is its own OCM_ROOM" \
		bounded 5 in_journal "created from" "OCM_ROOM=x OCM_ROOM=forged" "OCM_USER=$forged"
	if in_journal "" OCM_ROOM=forged || in_journal "" OCM_ADDRESS=10.9.8.7; then
		bad "a peer-chosen name forged a journal field"
	else
		ok "no peer-chosen name forges OCM_ROOM or OCM_ADDRESS"
	fi
else
	bad "mallory did not get online"; show_client mallory
fi
say mallory "/quit"
client_exit mallory 10

if [ -z "$CTL" ]; then
	check "ocmctl list-rooms (root) shows lobby" ctl_lists root lobby
	check "ocmctl list-rooms as ocmadm (group ocmd, no sudo) shows lobby" ctl_lists ocmadm lobby
	rc=0
	out=$(timeout 10 setpriv --reuid=outsider --regid=outsider --init-groups ocmctl list-rooms 2>&1) || rc=$?
	if [ "$rc" -ne 0 ] && ! grep -qw lobby <<<"$out"; then
		ok "ocmctl as a user outside group ocmd is refused (exit $rc: $(head -n 1 <<<"$out"))"
	else
		bad "ocmctl as a user outside group ocmd: exit $rc: $out"
	fi
	# A write (a kick of nobody: refused either way, but for different
	# reasons): group ocmd alone may not, group ocmd-admin may.
	rc=0
	out=$(timeout 10 setpriv --reuid=ocmadm --regid=ocmadm --init-groups ocmctl kick lobby nobody 2>&1) || rc=$?
	check "ocmctl kick as ocmadm (group ocmd only) is refused: exit $rc: $out" \
		eval '[ "$rc" -eq 1 ] && grep -q "needs root, ocmd.s user, or group ocmd-admin" <<<"$out"'
	rc=0
	out=$(timeout 10 setpriv --reuid=ocmboss --regid=ocmboss --init-groups ocmctl kick lobby nobody 2>&1) || rc=$?
	check "ocmctl kick as ocmboss (groups ocmd and ocmd-admin) gets to the room: exit $rc: $out" \
		eval '[ "$rc" -eq 1 ] && grep -q "no member .nobody." <<<"$out"'
else
	skipped "$CTL: ocmctl list-rooms as root, as a member of group ocmd and as an outsider"
fi
if bounded 10 eval 'grep -Eq "(^|[^0-9])1 rooms?\\b.*(^|[^0-9])2 members?" <<<"$(prop StatusText)"'; then
	ok "STATUS= refreshed: '$(prop StatusText)'"
else
	bad "STATUS= not refreshed to 1 room, 2 members within 10 s: '$(prop StatusText)'"
fi

echo "== systemctl reload ocmd"
rc=0
timeout 60 systemctl reload ocmd.service || rc=$?
state=$(systemctl show -p ActiveState -p SubState -p MainPID ocmd.service | sort | tr '\n' ' ')
check "systemctl reload exited $rc" test "$rc" -eq 0
check "right after reload (READY=1 came back): $state" test "$state" = "ActiveState=active MainPID=$PID SubState=running "
check "ocmd logged the reload" bounded 5 eval 'journal 30 | grep -q "SIGHUP: reloading"'
check "alice and bob are still connected" eval 'client_alive alice && client_alive bob'
say alice "after the reload"
check "the room still relays after the reload" bounded 10 has "$W/bob.out" '"from":"alice","text":"after the reload"'
if [ -z "$CTL" ]; then
	check "ocmctl list-rooms still shows lobby after the reload" ctl_lists root lobby
else
	skipped "$CTL: ocmctl list-rooms after the reload"
fi

echo "== systemctl stop ocmd"
rc=0
timeout 60 systemctl stop ocmd.service || rc=$?
check "systemctl stop exited $rc" test "$rc" -eq 0
for n in alice bob; do
	client_exit $n 10
	if [ "$STATUS" -eq 3 ] && has "$W/$n.err" SERVER_SHUTDOWN; then
		ok "$n exited 3 with SERVER_SHUTDOWN: $(grep -m1 SERVER_SHUTDOWN "$W/$n.err")"
	else
		bad "$n exited $STATUS (want 3 with SERVER_SHUTDOWN on stderr)"; show_client $n
	fi
done
state=$(systemctl show -p ActiveState -p Result -p ExecMainStatus ocmd.service | sort | tr '\n' ' ')
check "after stop: $state" test "$state" = "ActiveState=inactive ExecMainStatus=0 Result=success "
check "ocmd removed its control socket on exit" test ! -e $SOCK

# ------------------------------------------------------------ watchdog

echo "== watchdog (drop-in WatchdogSec=2s for this check)"
mkdir -p /run/systemd/system/ocmd.service.d
printf '[Service]\nWatchdogSec=2s\nLimitCORE=0\n' >/run/systemd/system/ocmd.service.d/test-watchdog.conf
systemctl daemon-reload
if timeout 60 systemctl start ocmd.service; then
	PID=$(prop MainPID)
	w0=$(prop WatchdogTimestampMonotonic)
	check "WATCHDOG_USEC=2000000 passed to ocmd" grep -qz '^WATCHDOG_USEC=2000000$' /proc/"$PID"/environ
	sleep 5
	w1=$(prop WatchdogTimestampMonotonic)
	state=$(systemctl show -p ActiveState -p MainPID -p NRestarts ocmd.service | sort | tr '\n' ' ')
	check "5 s with a 2 s watchdog: not killed, not restarted ($state)" \
		test "$state" = "ActiveState=active MainPID=$PID NRestarts=0 "
	check "WATCHDOG=1 pings arrive (last ping advanced ${w0:-?} -> ${w1:-?})" test "${w1:-0}" -gt "${w0:-0}"
else
	bad "systemctl start ocmd with WatchdogSec=2s failed"
fi
timeout 60 systemctl stop ocmd.service
rm -rf /run/systemd/system/ocmd.service.d
systemctl daemon-reload
systemctl reset-failed ocmd.service 2>/dev/null

# ------------------------------------------------------------ socket activation

echo "== socket activation (ocmd.socket, ocmd-tcp.socket, ocmd-udp.socket)"
systemctl enable ocmd.socket 2>/dev/null
for u in ocmd.socket ocmd-tcp.socket ocmd-udp.socket; do
	check "systemctl enable ocmd.socket enables $u" test "$(systemctl is-enabled $u)" = enabled
done
rc=0
timeout 30 systemctl start ocmd.socket || rc=$?
check "systemctl start ocmd.socket exited $rc" test "$rc" -eq 0
for u in ocmd.socket ocmd-tcp.socket ocmd-udp.socket; do
	check "$u is listening" test "$(prop SubState $u)" = listening
done
check "ocmd.service is not started yet" test "$(prop ActiveState)" = inactive
if [ -S $SOCK ]; then
	check "control socket made by systemd: $(stat -c '%A %U:%G' $SOCK)" test "$(stat -c '%a %G' $SOCK)" = "660 ocmd"
else
	bad "ocmd.socket made no $SOCK"
fi
check "port $PORT is listening (systemd holds it)" listening

client carol -u carol -c activated
if bounded 15 has "$W/carol.out" '"type":"online"'; then
	ok "a TCP connection started ocmd.service; carol created room activated"
else
	bad "carol did not get online through the activated socket"; show_client carol
	journal 30 | sed 's/^/   | /'
fi
PID=$(prop MainPID)
if [ "$(prop ActiveState)" = active ] && [ "$PID" -gt 0 ]; then
	names=$(tr '\0' '\n' </proc/"$PID"/environ | sed -n 's/^LISTEN_FDNAMES=//p')
	check "ocmd got the sockets by name (LISTEN_FDNAMES=$names)" \
		eval 'grep -qw control <<<"${names//:/ }" && grep -qw tcp <<<"${names//:/ }" && grep -qw udp <<<"${names//:/ }"'
	for k in control tcp udp; do
		check "ocmd adopted the passed $k socket" bounded 5 eval "journal 60 | grep -q 'socket activation: $k socket'"
	done
	check "ocmd binds nothing itself when sockets are passed (no 'Address already in use')" \
		eval '! journal 60 | grep -q "Address already in use"'
fi
client dave -u dave -j activated
if bounded 10 has "$W/dave.out" '"type":"online"'; then
	say carol "hello over activated sockets"
	check "chat over the activated TCP and UDP sockets" bounded 10 has "$W/dave.out" '"from":"carol","text":"hello over activated sockets"'
else
	bad "dave did not join the room activated"; show_client dave
fi
if [ -z "$CTL" ]; then
	check "ocmctl list-rooms over the activated control socket shows activated" ctl_lists ocmadm activated
else
	skipped "$CTL: ocmctl over the activated control socket"
fi

rc=0
timeout 60 systemctl stop ocmd.service 2>/dev/null || rc=$?
check "systemctl stop ocmd.service (sockets stay) exited $rc" test "$rc" -eq 0
for n in carol dave; do
	client_exit $n 10
	if [ "$STATUS" -eq 3 ] && has "$W/$n.err" SERVER_SHUTDOWN; then
		ok "$n exited 3 with SERVER_SHUTDOWN"
	else
		bad "$n exited $STATUS (want 3 with SERVER_SHUTDOWN)"; show_client $n
	fi
done
check "ocmd.socket still listening after the service stopped" test "$(prop SubState ocmd.socket)" = listening
check "$SOCK survives the service's stop (RuntimeDirectoryPreserve=yes)" test -S $SOCK
if [ -z "$CTL" ]; then
	rc=0
	timeout 20 ocmctl list-rooms >/dev/null 2>&1 || rc=$?
	check "ocmctl on the control socket starts ocmd again (exit $rc)" \
		eval 'test $rc -eq 0 && test "$(prop ActiveState)" = active'
else
	check "a TCP connection starts ocmd again" eval 'timeout 20 ocm-client -s 127.0.0.1 -p $PORT --known-servers "$W/known_servers" -l >/dev/null'
fi
timeout 60 systemctl stop ocmd.socket ocmd.service 2>/dev/null
for u in ocmd.socket ocmd-tcp.socket ocmd-udp.socket ocmd.service; do
	check "after systemctl stop ocmd.socket ocmd.service: $u $(prop ActiveState $u)" test "$(prop ActiveState $u)" = inactive
done
check "$SOCK removed with ocmd.socket" test ! -e $SOCK
systemctl disable ocmd.socket 2>/dev/null

# ------------------------------------------------------------ summary

if [ "$FAILED" -gt 0 ]; then
	echo "--- journal of ocmd (last 80 lines)"
	journal 80 | sed 's/^/   | /'
fi
echo "check-systemd: $PASSED passed, $FAILED failed, $SKIPPED skipped"
[ "$FAILED" -eq 0 ]
