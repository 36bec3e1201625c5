/*
 * control.c: the control socket's transport (see control.h).  Requests
 * are newline-terminated JSON; each gets exactly one reply, in order.
 * Replies are written at once and EPOLLOUT is armed only when the socket
 * would block.  No reply is above CTL_REPLY_MAX, what ocmctl reads (one
 * that would be is a bug, answered too_large), so a peer that lets
 * CONTROL_MAX_OUTPUT bytes wait has stopped reading and is dropped.
 * Who may run what (lib/ctl.h)
 * is decided here, once per peer when it connects, and checked per
 * request against the command's access.
 */
#include "daemon/control/control.h"

#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/queue.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/cluster/cluster.h"
#include "lib/log.h"

struct ctl_conn {
	struct ev_io io;
	struct control *ctl;
	LIST_ENTRY(ctl_conn) link;	/* in ctl->conns */
	struct ucred cred;
	bool may_read, may_write;	/* as it was when it connected */
	bool refusal_logged;		/* once per peer: it could repeat itself */
	bool closing;		/* close once the output is flushed */
	bool waiting;		/* for another node's reply: the next lines wait */
	size_t in_len;
	char *out;
	size_t out_len, out_off, out_cap;
	char in[CTL_LINE_MAX];
};

struct control {
	struct ev_io io;
	struct server *srv;
	LIST_HEAD(, ctl_conn) conns;
	size_t n_conns;
	bool has_admin;			/* group CTL_ADMIN_GROUP exists, as admin_gid */
	gid_t admin_gid;
	bool owns_path;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void
conn_free(struct ctl_conn *c)
{
	struct control *ctl = c->ctl;

	if (c->waiting)
		cluster_control_cancel(ctl->srv, c);
	ev_io_stop(ctl->srv->loop, &c->io);
	close(c->io.fd);
	LIST_REMOVE(c, link);
	ctl->n_conns--;
	free(c->out);
	free(c);
}

/* Writes what is queued; returns -1 when c was freed. */
static int
conn_flush(struct ctl_conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->io.fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* A closing peer's EOF would keep EPOLLIN ready. */
			ev_io_set(c->ctl->srv->loop, &c->io,
			    c->closing ? EPOLLOUT : EPOLLIN | EPOLLOUT);
			return 0;
		}
		if (n <= 0) {
			conn_free(c);
			return -1;
		}
		c->out_off += (size_t)n;
	}
	c->out_off = c->out_len = 0;
	if (c->closing) {
		conn_free(c);
		return -1;
	}
	ev_io_set(c->ctl->srv->loop, &c->io, EPOLLIN);
	return 0;
}

/* Appends a reply (taking it); returns -1 when c was freed. */
static int
conn_queue(struct ctl_conn *c, char *reply)
{
	size_t n;

	if (reply == NULL) {
		conn_free(c);
		return -1;
	}
	n = strlen(reply);
	if (c->out_len - c->out_off + n > CONTROL_MAX_OUTPUT) {
		log_warnx("control: uid %u pid %d has not read %zu bytes of replies, closing",
		    c->cred.uid, c->cred.pid, c->out_len - c->out_off);
		free(reply);
		conn_free(c);
		return -1;
	}
	if (c->out_len + n > c->out_cap) {
		size_t cap = c->out_len + n + 4096;
		char *p = realloc(c->out, cap);
		if (p == NULL) {
			free(reply);
			conn_free(c);
			return -1;
		}
		c->out = p;
		c->out_cap = cap;
	}
	memcpy(c->out + c->out_len, reply, n);
	c->out_len += n;
	free(reply);
	return conn_flush(c);
}

/* A write from a peer that may only read: the reply says who may. */
static char *
write_refused(struct ctl_conn *c, const struct ctl_command *cmd)
{
	const char *who = ctl_access_who(CTL_WRITE);
	char why[256];

	if (!c->refusal_logged)
		log_warnx("control: refused %s by uid %u pid %d: it needs %s", cmd->name,
		    c->cred.uid, c->cred.pid, who);
	c->refusal_logged = true;
	snprintf(why, sizeof(why), "%s changes the daemon: it needs %s", cmd->name, who);
	return ctl_reply_error(CTL_E_PERMISSION_DENIED, why);
}

/*
 * Paged results are bounded to fit CTL_REPLY_MAX (lib/ctl.h); a reply
 * above it all the same would not be read by ocmctl, so the peer gets
 * too_large, and the log says which command broke the bound.
 */
static char *
reply_fit(const struct ctl_conn *c, const struct ctl_command *cmd, char *reply)
{
	size_t n = reply != NULL ? strlen(reply) : 0;

	if (n <= CTL_REPLY_MAX)
		return reply;
	log_warnx("control: the reply to %s by uid %u pid %d would be %zu bytes, above "
	    "the limit of %d: replied too_large (a bug)", cmd->name, c->cred.uid,
	    c->cred.pid, n, CTL_REPLY_MAX);
	free(reply);
	return ctl_reply_too_large(cmd->name, n);
}

static char *
conn_reply(struct ctl_conn *c, const char *line, size_t len)
{
	const struct ctl_command *cmd;
	json_t *args;
	char why[256];

	if (!c->may_read) {
		if (!c->refusal_logged)
			log_warnx("control: refused uid %u pid %d: permission denied",
			    c->cred.uid, c->cred.pid);
		c->refusal_logged = true;
		snprintf(why, sizeof(why), "permission denied: it needs %s",
		    ctl_access_who(CTL_READ));
		return ctl_reply_error(CTL_E_PERMISSION_DENIED, why);
	}
	int r = ctl_request_parse(line, len, &cmd, &args, why, sizeof(why));
	if (r < 0)
		return ctl_reply_error((enum ctl_error)-r, why);
	if (cmd->access == CTL_WRITE && !c->may_write) {
		json_decref(args);
		return write_refused(c, cmd);
	}
	char *reply = control_dispatch(c->ctl->srv, cmd, args, &c->cred, c);
	json_decref(args);
	return reply == CONTROL_DEFERRED ? reply : reply_fit(c, cmd, reply);
}

/* Answers every whole line in the buffer; returns -1 when c was freed. */
static int
conn_lines(struct ctl_conn *c)
{
	size_t start = 0;
	char *nl;

	while (!c->waiting && (nl = memchr(c->in + start, '\n', c->in_len - start)) != NULL) {
		size_t len = (size_t)(nl - (c->in + start));
		char *reply = len > 0 ? conn_reply(c, c->in + start, len) : NULL;
		start += len + 1;
		if (reply == CONTROL_DEFERRED)
			c->waiting = true;
		else if (len > 0 && conn_queue(c, reply) < 0)
			return -1;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	if (c->in_len == sizeof(c->in) && !c->waiting) {
		c->closing = true;
		char why[96];
		snprintf(why, sizeof(why), "a request line is limited to %d bytes",
		    CTL_LINE_MAX - 1);
		return conn_queue(c, ctl_reply_error(CTL_E_TOO_LARGE, why));
	}
	return 0;
}

void
control_resume(void *conn, char *reply)
{
	struct ctl_conn *c = conn;

	c->waiting = false;
	if (conn_queue(c, reply) == 0)
		conn_lines(c);
}

static void
conn_cb(struct ev_io *io, uint32_t revents)
{
	struct ctl_conn *c = container_of(io, struct ctl_conn, io);

	if ((revents & EPOLLOUT) && conn_flush(c) < 0)
		return;
	if (!(revents & (EPOLLIN | EPOLLHUP | EPOLLERR)) || c->closing)
		return;
	if (c->in_len == sizeof(c->in)) {
		/* Full while a forwarded command waits: read on once it is answered. */
		ev_io_set(c->ctl->srv->loop, &c->io, c->out_off < c->out_len ? EPOLLOUT : 0);
		return;
	}
	ssize_t n = read(io->fd, c->in + c->in_len, sizeof(c->in) - c->in_len);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* EOF: replies already queued still go out. */
		c->closing = true;
		conn_flush(c);
		return;
	}
	c->in_len += (size_t)n;
	conn_lines(c);
}

static bool
gid_in(gid_t gid, const gid_t *groups, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (groups[i] == gid)
			return true;
	return false;
}

/* The peer's supplementary groups (as they were at connect()) into
 * *groups: stack when they fit, else malloc'ed; 0 when unknown. */
static size_t
peer_groups(int fd, gid_t *stack, size_t stack_n, gid_t **groups)
{
	socklen_t len = (socklen_t)(stack_n * sizeof(gid_t));

	*groups = stack;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, stack, &len) == 0)
		return len / sizeof(gid_t);
	if (errno != ERANGE || (*groups = malloc(len)) == NULL)
		return 0;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, *groups, &len) == 0)
		return len / sizeof(gid_t);
	return 0;
}

/*
 * Root and our own user may do anything; a peer whose primary or
 * supplementary groups include CTL_ADMIN_GROUP may write (and read), one
 * in our own group may read, so that an administrator in those groups
 * needs no sudo.
 */
static void
peer_access(const struct control *ctl, int fd, struct ctl_conn *c)
{
	gid_t stack[256], *groups;
	gid_t ours = getegid();

	if (c->cred.uid == 0 || c->cred.uid == geteuid()) {
		c->may_read = c->may_write = true;
		return;
	}
	size_t n = peer_groups(fd, stack, sizeof(stack) / sizeof(stack[0]), &groups);
	c->may_write = ctl->has_admin &&
	    (c->cred.gid == ctl->admin_gid || gid_in(ctl->admin_gid, groups, n));
	c->may_read = c->may_write || c->cred.gid == ours || gid_in(ours, groups, n);
	if (groups != stack)
		free(groups);
}

static size_t
conns_of_uid(const struct control *ctl, uid_t uid)
{
	const struct ctl_conn *c;
	size_t n = 0;

	LIST_FOREACH(c, &ctl->conns, link)
		n += c->cred.uid == uid;
	return n;
}

static void
accept_one(struct control *ctl, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 ||
	    ctl->n_conns >= CONTROL_MAX_CONNS ||
	    conns_of_uid(ctl, cred.uid) >= CONTROL_MAX_PER_UID) {
		close(fd);
		return;
	}
	struct ctl_conn *c = calloc(1, sizeof(*c));
	if (c == NULL || ev_io_start(ctl->srv->loop, &c->io, fd, EPOLLIN, conn_cb) < 0) {
		free(c);
		close(fd);
		return;
	}
	c->ctl = ctl;
	c->cred = cred;
	peer_access(ctl, fd, c);
	LIST_INSERT_HEAD(&ctl->conns, c, link);
	ctl->n_conns++;
}

static void
listen_cb(struct ev_io *io, uint32_t revents)
{
	struct control *ctl = container_of(io, struct control, io);
	(void)revents;

	for (int i = 0; i < 16; i++) {
		int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		accept_one(ctl, fd);
	}
}

/*
 * Looks group CTL_ADMIN_GROUP up by name; true when the answer changed.
 * Not finding it (or the lookup failing) grants nothing.
 */
static bool
admin_lookup(struct control *ctl)
{
	struct group *gr = getgrnam(CTL_ADMIN_GROUP);
	bool had = ctl->has_admin;
	gid_t old = ctl->admin_gid;

	ctl->has_admin = gr != NULL;
	ctl->admin_gid = gr != NULL ? gr->gr_gid : 0;
	return had != ctl->has_admin || old != ctl->admin_gid;
}

static void
admin_log(const struct control *ctl)
{
	if (ctl->has_admin)
		log_info("control: group %s (gid %u) may run write commands", CTL_ADMIN_GROUP,
		    (unsigned)ctl->admin_gid);
	else
		log_info("control: no group %s: only root and ocmd's user may run write "
		    "commands", CTL_ADMIN_GROUP);
}

void
control_reload(struct control *ctl)
{
	if (ctl != NULL && admin_lookup(ctl))
		admin_log(ctl);
}

struct control *
control_adopt(struct server *srv, int fd)
{
	struct control *ctl = calloc(1, sizeof(*ctl));

	if (ctl == NULL)
		return NULL;
	ctl->srv = srv;
	if (ev_io_start(srv->loop, &ctl->io, fd, EPOLLIN, listen_cb) < 0) {
		free(ctl);
		return NULL;
	}
	admin_lookup(ctl);
	admin_log(ctl);
	return ctl;
}

static const char *
file_kind(mode_t mode)
{
	static const struct {
		mode_t type;
		const char *kind;
	} kinds[] = {
		{ S_IFREG, "a regular file" }, { S_IFDIR, "a directory" },
		{ S_IFLNK, "a symbolic link" }, { S_IFIFO, "a FIFO" },
		{ S_IFCHR, "a character device" }, { S_IFBLK, "a block device" },
	};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if ((mode & S_IFMT) == kinds[i].type)
			return kinds[i].kind;
	return "an unknown kind of file";
}

/*
 * A socket file left by a dead ocmd is replaced; a live one is refused,
 * and so is anything else at the path (lstat: a symbolic link is not
 * followed), since it is more likely a mistake in control_socket than
 * ours to delete.
 */
static int
path_claim(const struct sockaddr_un *sun, char *err, size_t err_len)
{
	const char *path = sun->sun_path;
	struct stat st;

	if (lstat(path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, err_len, "control socket %s: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, err_len, "control socket %s: exists and is not a socket (%s); "
		    "remove it or choose another control_socket", path, file_kind(st.st_mode));
		return -1;
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int live = fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;

	if (fd >= 0)
		close(fd);
	if (live) {
		snprintf(err, err_len, "control socket %s: another ocmd is running", path);
		return -1;
	}
	if (unlink(path) < 0 && errno != ENOENT) {
		snprintf(err, err_len, "control socket %s: cannot remove the stale socket: %s",
		    path, strerror(errno));
		return -1;
	}
	return 0;
}

/* mkdir -p of the socket's directory (ocmd outside systemd, which would
 * otherwise make /run/ocmd as RuntimeDirectory). */
static void
parent_dirs(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];

	snprintf(dir, sizeof(dir), "%s", path);
	for (char *p = dir + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(dir, 0755);
		*p = '/';
	}
}

static int
control_bind(const char *path, char *err, size_t err_len)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	parent_dirs(path);
	if (path_claim(&sun, err, err_len) < 0)
		return -1;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    listen(fd, 16) < 0) {
		snprintf(err, err_len, "control socket %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	/* Group ocmd when it exists and is not ours already (under systemd it
	 * is, and the unit's seccomp filter refuses chown), then 0660: the
	 * group is how administrators get in without sudo. */
	struct group *gr = getgrnam("ocmd");
	if (gr != NULL && gr->gr_gid != getegid() && chown(path, (uid_t)-1, gr->gr_gid) < 0)
		log_warn("control socket %s: chgrp ocmd", path);
	if (chmod(path, 0660) < 0)
		log_warn("control socket %s: chmod", path);
	return fd;
}

struct control *
control_new(struct server *srv, char *err, size_t err_len)
{
	int fd = control_bind(srv->cfg.control_socket, err, err_len);
	if (fd < 0)
		return NULL;
	struct control *ctl = control_adopt(srv, fd);
	if (ctl == NULL) {
		snprintf(err, err_len, "out of memory");
		close(fd);
		unlink(srv->cfg.control_socket);
		return NULL;
	}
	ctl->owns_path = true;
	snprintf(ctl->path, sizeof(ctl->path), "%s", srv->cfg.control_socket);
	return ctl;
}

void
control_free(struct control *ctl)
{
	if (ctl == NULL)
		return;
	while (!LIST_EMPTY(&ctl->conns))
		conn_free(LIST_FIRST(&ctl->conns));
	ev_io_stop(ctl->srv->loop, &ctl->io);
	close(ctl->io.fd);
	if (ctl->owns_path)
		unlink(ctl->path);
	free(ctl);
}
