#!/bin/bash
# check-systemd.sh: ocmd under a real, booted systemd ("make check-systemd").
#
# Builds OCM with the distribution's paths (--prefix=/usr --sysconfdir=/etc
# --localstatedir=/var --runstatedir=/run) in a private build directory,
# installs it into a throwaway DESTDIR, boots a Debian tree in
# systemd-nspawn with that tree bind-mounted read-only, and runs
# tests/systemd/inside.sh in the container: sysusers, units, start/READY,
# chat, ocmctl, reload, stop/SERVER_SHUTDOWN, hardening, watchdog, socket
# activation.  See shared/SYSTEMD-TESTING.md for why it is done this way.
#
# Exit 0: passed; 1: failed; 77: skipped (a "SKIP:" line says why): not
# root, no systemd-nspawn/debootstrap and none installable, no Debian host,
# no network for debootstrap on the first run, too little disk, or an
# unknown cgroup layout.
#
# Environment: top_srcdir, top_builddir (set by "make check-systemd");
# OCM_NSPAWN_TREE (cached tree, default /var/tmp/ocm-nspawn-CODENAME),
# OCM_NSPAWN_MIRROR (default: the first Debian mirror in the apt sources),
# OCM_SYSTEMD_BUILDDIR (default $top_builddir/tests/systemd/build, kept
# between runs so that rebuilding is incremental).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$(pwd)}"
top_srcdir=$(cd "$top_srcdir" && pwd)
top_builddir=$(cd "$top_builddir" && pwd)

MACH=ocm-check-$$
T=""
NSPAWN_PID=""
LEADER=""
BOOTED=""
CG_DIRS=()		# child cgroups made here, created in this order
CG_HOME=()		# "hierarchy-dir original-cgroup-dir" to move back to

say() { echo "check-systemd: $*"; }
skip() { echo "SKIP: check-systemd: $*"; exit 77; }
die() { echo "FAIL: check-systemd: $*"; exit 1; }

# bounded: SECONDS CMD...: polls CMD every 0.2 s, at most SECONDS.
bounded() {
	local n=$(($1 * 5))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.2
		n=$((n - 1))
	done
	return 1
}

# bg_wait SECONDS CMD...: CMD with a time limit, waited for in a way that
# INT/TERM interrupt at once (timeout(1) puts CMD in its own process group,
# out of reach of the terminal's ^C; cleanup stops it by PID).
CHILD=""
bg_wait() {
	local rc=0
	timeout "$@" &
	CHILD=$!
	wait "$CHILD" || rc=$?
	CHILD=""
	return "$rc"
}

# ---------------------------------------------------------------- cleanup

alive() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null; }

poweroff_container() {
	if alive "$LEADER"; then
		kill -s SIGRTMIN+4 "$LEADER" 2>/dev/null
	fi
	if alive "$NSPAWN_PID"; then
		if ! bounded 30 eval '! alive "$NSPAWN_PID"'; then
			say "the container did not power off in 30 s; killing it"
			alive "$LEADER" && kill -KILL "$LEADER" 2>/dev/null
			bounded 5 eval '! alive "$NSPAWN_PID"' || kill -KILL "$NSPAWN_PID" 2>/dev/null
		fi
		wait "$NSPAWN_PID" 2>/dev/null
	fi
	NSPAWN_PID=""
	LEADER=""
	if [ -n "$BOOTED" ]; then
		# nspawn leaves this behind when /run is not a tmpfs
		rm -rf "/run/systemd/nspawn/propagate/$MACH"
		BOOTED=""
	fi
}

cgroup_leave() {
	local entry i
	for entry in "${CG_HOME[@]}"; do
		echo $$ > "${entry#* }/cgroup.procs" 2>/dev/null
	done
	# Deepest first: nspawn may have made sub-cgroups of ours.
	for ((i = ${#CG_DIRS[@]} - 1; i >= 0; i--)); do
		[ -d "${CG_DIRS[$i]}" ] || continue
		find "${CG_DIRS[$i]}" -depth -type d -exec rmdir {} + 2>/dev/null ||
			say "could not remove cgroup ${CG_DIRS[$i]}"
	done
	CG_DIRS=()
	CG_HOME=()
}

# The sysctl.d file installed with ocmd raises net.core.rmem_max and
# wmem_max at boot, so that the unit's ocmd (no capabilities) gets its
# 16 MiB UDP buffers.  A container cannot apply it: those keys are the
# host's, read-only from another network namespace.  So the host takes
# the file's values for the run where they are higher than its own, and
# gets its own back at the end.
SYSCTL_RESTORE=()
sysctls_raise() {
	local key val cur
	while IFS=' =' read -r key val; do
		case $key in ''|'#'*) continue ;; esac
		val=${val#= }
		cur=$(sysctl -n "$key" 2>/dev/null) || continue
		[ "$cur" -lt "$val" ] 2>/dev/null || continue
		sysctl -q -w "$key=$val" || die "cannot set $key to $val for the run"
		SYSCTL_RESTORE+=("$key=$cur")
		say "$key: $cur -> $val for the run (as ocmd's sysctl.d file does at boot)"
	done < "$1"
}
sysctls_restore() {
	local kv
	for kv in "${SYSCTL_RESTORE[@]}"; do
		sysctl -q -w "$kv" || say "could not set $kv back"
	done
	SYSCTL_RESTORE=()
}

cleanup() {
	alive "$CHILD" && kill -TERM "$CHILD" 2>/dev/null
	poweroff_container
	if alive "$CHILD"; then
		bounded 5 eval '! alive "$CHILD"' || kill -KILL "$CHILD" 2>/dev/null
	fi
	cgroup_leave
	sysctls_restore
	[ -n "$T" ] && rm -rf "$T"
}
trap cleanup EXIT
trap 'say "interrupted; cleaning up"; exit 1' INT TERM HUP

# The mirror for debootstrap: OCM_NSPAWN_MIRROR, else the host's own.
mirror() {
	local m
	[ -n "${OCM_NSPAWN_MIRROR:-}" ] && { echo "$OCM_NSPAWN_MIRROR"; return; }
	# deb822 sources: the URIs of a stanza whose Suites has the plain suite.
	m=$(cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk -v s="$SUITE" '
		/^[[:space:]]*$/ { if (ok && uri != "") { print uri; exit } ok = 0; uri = ""; next }
		tolower($1) == "uris:" { uri = $2 }
		tolower($1) == "suites:" { for (i = 2; i <= NF; i++) if ($i == s) ok = 1 }
		END { if (ok && uri != "") print uri }' | head -n 1)
	[ -z "$m" ] && m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
		awk -v s="$SUITE" '$1 == "deb" { for (i = 2; i < NF; i++) if ($i !~ /^\[/ && $(i + 1) == s) { print $i; exit } }' |
		head -n 1)
	echo "${m:-http://deb.debian.org/debian}"
}

# ---------------------------------------------------------------- can we run?

[ "$(id -u)" -eq 0 ] || skip "needs root (systemd-nspawn, debootstrap)"
[ -r /etc/os-release ] && . /etc/os-release
[ "${ID:-}" = debian ] && [ -n "${VERSION_CODENAME:-}" ] ||
	skip "needs a Debian host: the container is a Debian tree that must match the host's libraries"
SUITE=$VERSION_CODENAME
TREE=${OCM_NSPAWN_TREE:-/var/tmp/ocm-nspawn-$SUITE}

need_pkgs=""
command -v systemd-nspawn >/dev/null || need_pkgs="$need_pkgs systemd-container"
command -v debootstrap >/dev/null || need_pkgs="$need_pkgs debootstrap"
[ -e /usr/share/keyrings/debian-archive-keyring.gpg ] || need_pkgs="$need_pkgs debian-archive-keyring"
if [ -n "$need_pkgs" ]; then
	say "installing$need_pkgs"
	command -v apt-get >/dev/null || skip "no apt-get to install$need_pkgs"
	# --no-install-recommends: libnss-mymachines would edit nsswitch.conf.
	{ DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need_pkgs ||
		{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
			apt-get install -y -qq --no-install-recommends $need_pkgs; }; } >/dev/null 2>&1 ||
		skip "systemd-nspawn/debootstrap missing and not installable:$need_pkgs"
fi
for t in systemd-nspawn debootstrap nsenter timeout flock wget; do
	command -v "$t" >/dev/null || skip "$t not found"
done

# The cgroup layout the container is started from (see SYSTEMD-TESTING.md).
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	CG_HIER=(/sys/fs/cgroup)
elif [ -d /sys/fs/cgroup/systemd ] && [ -f /sys/fs/cgroup/unified/cgroup.procs ]; then
	CG_HIER=(/sys/fs/cgroup/systemd /sys/fs/cgroup/unified)
else
	skip "unknown cgroup layout (neither cgroup2 nor systemd+unified hybrid)"
fi

avail_mb() { df -Pm "$1" 2>/dev/null | awk 'NR == 2 { print $4 }'; }
mkdir -p "$(dirname "$TREE")"
need_mb=150
[ -f "$TREE/.ocm-tree" ] || need_mb=450
free_mb=$(avail_mb "$(dirname "$TREE")")
[ "${free_mb:-0}" -ge "$need_mb" ] ||
	skip "needs ${need_mb} MB free in $(dirname "$TREE"), has ${free_mb:-?} MB"

# The first run needs the Debian mirror; find out before building.
if [ ! -f "$TREE/.ocm-tree" ]; then
	m=$(mirror)
	timeout 30 wget -q -O /dev/null "$m/dists/$SUITE/Release" 2>/dev/null ||
		skip "no network to $m for debootstrap (first run; the tree is cached in $TREE afterwards)"
fi

# ---------------------------------------------------------------- build

BUILD=${OCM_SYSTEMD_BUILDDIR:-$top_builddir/tests/systemd/build}
T=$(mktemp -d /var/tmp/ocm-check-systemd.XXXXXX) || die "mktemp"
chmod 755 "$T"
ROOT=$T/root
jobs=$(nproc 2>/dev/null || echo 2)

say "building with --prefix=/usr in $BUILD"
src=$top_srcdir
if [ -f "$top_srcdir/config.status" ]; then
	# configured in place: a VPATH build of it is refused, so use a copy.
	rel=${BUILD#"$top_srcdir"/}
	rm -rf "$BUILD/src" "$BUILD/obj" && mkdir -p "$BUILD/src" &&
		tar -C "$top_srcdir" --exclude=./.git --exclude="./$rel" -cf - . | tar -C "$BUILD/src" -xf - &&
		(cd "$BUILD/src" && make -s distclean >/dev/null 2>&1; true) || die "copying $top_srcdir"
	src=$BUILD/src
	BUILD=$BUILD/obj
fi
mkdir -p "$BUILD"
if [ ! -f "$BUILD/config.status" ] || [ "$src/configure" -nt "$BUILD/config.status" ]; then
	# No ocm-gtk: the container is a server, and GTK's libraries would
	# have to be in its tree (debootstrap fails configuring dconf there).
	(cd "$BUILD" && "$src/configure" -q --prefix=/usr --sysconfdir=/etc \
		--localstatedir=/var --runstatedir=/run --with-gtk=no >"$T/configure.log" 2>&1) ||
		{ tail -n 20 "$T/configure.log"; die "configure failed (log above)"; }
fi
(cd "$BUILD" && make -s -j"$jobs" >"$T/build.log" 2>&1 &&
	make -s install DESTDIR="$ROOT" >>"$T/build.log" 2>&1) ||
	{ tail -n 30 "$T/build.log"; die "build or make install failed (log above)"; }

for f in usr/sbin/ocmd usr/bin/ocm-client etc/ocmd/ocmd.conf; do
	[ -e "$ROOT/$f" ] || die "make install did not install /$f"
done
units=$(find "$ROOT" -path '*/systemd/system/ocmd.service' | head -n 1)
[ -n "$units" ] || die "make install did not install ocmd.service (the Makefile.am lines for etc/ocmd.service?)"
find "$ROOT" -path '*/sysusers.d/ocmd.conf' | grep -q . ||
	die "make install did not install sysusers.d/ocmd.conf (the Makefile.am lines for etc/ocmd.sysusers?)"
say "installed: $(cd "$ROOT" && find . -type f | sed 's|^\.||' | sort | tr '\n' ' ')"

# The Debian packages the built programs need at run time.
runtime_pkgs() {
	local f lib p
	for f in "$ROOT"/usr/sbin/* "$ROOT"/usr/bin/*; do
		ldd "$f" 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'
	done | sort -u | while read -r lib; do
		for p in "$lib" "$(readlink -f "$lib")" "/usr${lib#/usr}"; do
			dpkg -S "$p" 2>/dev/null | sed -n '1s/:.*//p' | grep . && break
		done
	done | sed 's/:.*//' | sort -u
}

# ---------------------------------------------------------------- the tree

PKGS="systemd systemd-sysv dbus procps libssl3 libjansson4 libsystemd0 libinih1 libreadline8"
PKGS=$(printf '%s\n' $PKGS $(runtime_pkgs) | sort -u | tr '\n' ' ')
PKGS=${PKGS% }


tree_ok() {
	[ -f "$TREE/.ocm-tree" ] || return 1
	local p
	for p in $PKGS; do
		grep -qxF "$p" "$TREE/.ocm-tree" || return 1
	done
}

make_tree() {
	local m
	m=$(mirror)
	say "creating $TREE from $m ($SUITE, minbase + $PKGS)"
	if ! timeout 30 wget -q -O /dev/null "$m/dists/$SUITE/Release" 2>/dev/null; then
		skip "no network to $m for debootstrap (first run; the tree is cached in $TREE afterwards)"
	fi
	rm -rf "$TREE"
	bg_wait 900 debootstrap --variant=minbase --include="$(echo "$PKGS" | tr ' ' ',')" \
		"$SUITE" "$TREE" "$m" >"$T/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$T/debootstrap.log"; rm -rf "$TREE"; die "debootstrap failed (log above)"; }
	ln -sf /dev/null "$TREE/etc/systemd/system/console-getty.service"
	rm -rf "$TREE/var/cache/apt/archives/"*.deb
	printf '%s\n' $PKGS > "$TREE/.ocm-tree"
}

exec 9>"$TREE.lock"
flock -w 900 9 || die "waited 15 min for $TREE.lock"
if ! tree_ok; then
	free_mb=$(avail_mb "$(dirname "$TREE")")
	[ "${free_mb:-0}" -ge 450 ] || skip "needs 450 MB free in $(dirname "$TREE") for the tree, has ${free_mb:-?} MB"
	make_tree
else
	say "reusing $TREE"
fi
flock -u 9
flock -s 9	# shared while booted: another run may not rebuild it under us

# ---------------------------------------------------------------- boot

for h in "${CG_HIER[@]}"; do
	cur=$(awk -F: -v h="$h" '
		(h ~ /\/systemd$/ && $2 == "name=systemd") || (h !~ /\/systemd$/ && $1 == "0") { print $3; exit }' \
		/proc/self/cgroup)
	home=$h${cur%/}
	[ -d "$home" ] || home=$h
	CG_HOME+=("$h $home")
	CG_DIRS+=("$home/$MACH")
	mkdir "$home/$MACH" && echo $$ > "$home/$MACH/cgroup.procs" ||
		die "cannot make and enter cgroup $home/$MACH"
done

sysctls_raise "$top_srcdir/etc/ocmd.sysctl"
say "booting $TREE as $MACH"
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 systemd-nspawn --quiet --register=no --keep-unit \
	--private-network --capability=CAP_BPF --system-call-filter=bpf \
	--volatile=overlay -D "$TREE" -M "$MACH" --console=read-only \
	--bind-ro="$ROOT:/ocm-root" --bind-ro="$here:/ocm-test" \
	--boot </dev/null >"$T/console.log" 2>&1 9>&- &
NSPAWN_PID=$!
BOOTED=yes

# The container's PID 1 as seen from here: a child of nspawn that is pid 1
# in its own PID namespace.
find_leader() {
	local c
	alive "$NSPAWN_PID" || return 1
	for c in $(cat /proc/"$NSPAWN_PID"/task/*/children 2>/dev/null); do
		if awk '$1 == "NSpid:" && NF == 3 && $3 == 1 { f = 1 } END { exit !f }' "/proc/$c/status" 2>/dev/null; then
			LEADER=$c
			return 0
		fi
	done
	return 1
}
bounded 30 find_leader || { cat "$T/console.log"; die "no container PID 1 after 30 s (console above)"; }

inside() { nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 TERM=dumb "$@" 9>&-; }

bounded 30 inside true 2>/dev/null || die "cannot nsenter into $LEADER"
# systemctl fails at once ("Failed to connect to bus") until PID 1 has
# made its private socket, early in boot but not at once.
bounded 30 inside test -S /run/systemd/private ||
	{ cat "$T/console.log"; die "systemd in the container made no /run/systemd/private in 30 s"; }
state=$(timeout 60 nsenter -t "$LEADER" -a systemctl is-system-running --wait 2>&1 9>&-)
case $state in
running) say "container is running (systemd $(inside systemctl --version | sed -n '1s/systemd \([0-9]*\).*/\1/p'))" ;;
degraded)
	say "container is degraded; failed units:"
	inside systemctl --failed --no-legend --plain | sed 's/^/  /'
	;;
*)
	cat "$T/console.log"
	die "container did not reach running within 60 s: '$state'"
	;;
esac

# ---------------------------------------------------------------- the test

status=0
bg_wait 240 nsenter -t "$LEADER" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	LC_ALL=C.UTF-8 TERM=dumb bash /ocm-test/inside.sh 9>&- || status=$?
[ "$status" -eq 124 ] && echo "FAIL: the tests in the container took more than 240 s"

say "powering off"
poweroff_container
cgroup_leave
case $status in
0) say "PASS" ;;
*) say "FAIL"; status=1 ;;
esac
exit "$status"
