/*
 * main.c: ocmd's entry point: options, configuration, start-up (the only
 * place where an error is fatal), the switch to [server] user once every
 * socket is bound, signals, and the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <jansson.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon/base/config.h"
#include "daemon/base/journal.h"
#include "daemon/node/notify.h"
#include "daemon/node/node.h"
#include "daemon/tcrp/tls.h"
#include "lib/log.h"

static struct server srv;

/* [server] user, looked up before start: whom ocmd becomes, if anyone. */
struct run_as {
	bool drop;
	uid_t uid;
	gid_t gid;
	char name[CONFIG_USER_MAX];
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ocmd [-c FILE] [-f] [-t] [-d] [-V]\n"
	    "The OCM chat relay daemon.\n"
	    "\n"
	    "  -c, --config FILE  configuration file (default %s)\n"
	    "  -f, --foreground   stay in the foreground (always so under systemd)\n"
	    "  -t, --test         check the configuration and exit (0: valid, 1: not)\n"
	    "  -d, --debug        log at debug level (message text included)\n"
	    "  -V, --version      print the version and exit\n"
	    "  -h, --help         print this help and exit\n"
	    "\n"
	    "Signals: SIGTERM/SIGINT close every room (SERVER_SHUTDOWN) and exit;\n"
	    "SIGHUP re-reads the configuration and certificate, keeping rooms.\n"
	    "See ocmd(8) and ocmd.conf(5).\n", CONFIG_DEFAULT_PATH);
}

/*
 * jansson's parser copies every string it reads into scratch buffers of
 * its own (and the request's password among them) and frees them as they
 * are; payload.c can only wipe the value it is handed.  So every block
 * jansson frees is wiped first, whatever it held.
 */
static void
json_free_wiped(void *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void
signal_cb(struct ev_loop *loop, int signo)
{
	if (signo == SIGHUP) {
		log_info("SIGHUP: reloading %s", srv.config_path);
		server_reload_notify(&srv);
		return;
	}
	log_ocm(LOG_LEVEL_INFO, OCM_EV_STOPPING, NULL, NULL, NULL,
	    "%s: closing %zu rooms and exiting", strsignal(signo), directory_local(&srv.dir));
	notify_stopping();
	srv.stopping = true;
	ev_break(loop);
}

/*
 * Nothing to do when user is unset or is who ocmd already runs as (under
 * systemd, User= in the unit); else only root can become someone else.
 */
static int
user_resolve(const struct config *cfg, struct run_as *ra, char *err, size_t err_len)
{
	memset(ra, 0, sizeof(*ra));
	if (cfg->user[0] == '\0')
		return 0;
	errno = 0;
	struct passwd *pw = getpwnam(cfg->user);
	if (pw == NULL) {
		/* getpwnam(3): these mean only "no such user". */
		bool lookup_failed = errno != 0 && errno != ENOENT && errno != ESRCH &&
		    errno != EBADF && errno != EPERM;
		snprintf(err, err_len, "[server] user: no user '%s' on this system%s%s "
		    "(create it, e.g. useradd --system %s, or leave user unset)", cfg->user,
		    lookup_failed ? ": " : "", lookup_failed ? strerror(errno) : "", cfg->user);
		return -1;
	}
	if (pw->pw_uid == geteuid())
		return 0;
	if (geteuid() != 0) {
		snprintf(err, err_len, "[server] user = %s: ocmd runs as uid %u, not root, so it "
		    "cannot become %s (uid %u); start it as root, or leave user unset",
		    cfg->user, (unsigned)geteuid(), cfg->user, (unsigned)pw->pw_uid);
		return -1;
	}
	ra->drop = true;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	snprintf(ra->name, sizeof(ra->name), "%s", pw->pw_name);
	return 0;
}

/*
 * Whether the file open at fd (what), state_dir or a file in it, where the
 * user may write, may be given to ra's user: the directory, or a regular
 * file with one link, that root owns (or the user already).  Anything else
 * the user could have put there, such as a hard link to another service's
 * key (the link count gives that away where fs.protected_hardlinks is
 * off), for root to hand over; it is left alone, and the warning says why.
 * Returns 1 to chown, 0 when it is the user's already, -1 when it must be
 * left alone.
 */
static int
user_may_own(int fd, const char *what, const struct run_as *ra)
{
	struct stat st;

	if (fstat(fd, &st) < 0) {
		log_warn("%s: cannot give it to user %s", what, ra->name);
		return -1;
	}
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode)) {
		log_warnx("%s is not a regular file; not giving it to user %s (remove it: "
		    "ocmd makes a new pair when the key is missing)", what, ra->name);
		return -1;
	}
	if (S_ISREG(st.st_mode) && st.st_nlink != 1) {
		log_warnx("%s has %ju links, so it may be some other file as well; not "
		    "giving it to user %s (if it is ocmd's own, remove the other links: "
		    "find / -samefile)", what, (uintmax_t)st.st_nlink, ra->name);
		return -1;
	}
	if (st.st_uid == ra->uid)
		return 0;
	if (st.st_uid != 0) {
		log_warnx("%s belongs to uid %u, neither root nor user %s; not giving it to "
		    "%s (if it is ocmd's own, chown it to %s)", what, (unsigned)st.st_uid,
		    ra->name, ra->name, ra->name);
		return -1;
	}
	return 1;
}

/* Gives the file open at fd to ra's user, if user_may_own() agrees. */
static void
user_give(int fd, const char *what, const struct run_as *ra)
{
	if (user_may_own(fd, what, ra) > 0 && fchown(fd, ra->uid, ra->gid) < 0)
		log_warn("%s: cannot give it to user %s", what, ra->name);
}

/*
 * What ocmd writes after start must be the new user's: the generated pair
 * and state_dir, where a reload repairs or replaces it, and the control
 * socket.  Links are not followed, and each file is changed through the
 * descriptor it was checked by, so that nothing can be swapped in
 * between.
 */
static void
user_chown(const struct server *s, const struct run_as *ra)
{
	static const char *const files[] = { TLS_KEY_FILE, TLS_CERT_FILE };
	char what[PATH_MAX + 32];
	struct stat st;

	if (s->cfg.certificate[0] == '\0') {
		const char *dir = s->cfg.state_dir;
		int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		snprintf(what, sizeof(what), "state_dir %s", dir);
		if (dfd < 0)
			log_warn("%s: cannot give it to user %s", what, ra->name);
		else
			user_give(dfd, what, ra);
		for (size_t i = 0; dfd >= 0 && i < sizeof(files) / sizeof(files[0]); i++) {
			/* O_NONBLOCK: a FIFO put there must not hold the start. */
			int fd = openat(dfd, files[i], O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			    O_NOCTTY | O_CLOEXEC);
			snprintf(what, sizeof(what), "%s/%s", dir, files[i]);
			if (fd < 0) {
				log_warn("%s: cannot give it to user %s", what, ra->name);
				continue;
			}
			user_give(fd, what, ra);
			close(fd);
		}
		if (dfd >= 0)
			close(dfd);
	}
	const char *sock = s->cfg.control_socket;
	if (lstat(sock, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_uid == 0 &&
	    lchown(sock, ra->uid, (gid_t)-1) < 0)
		log_warn("control socket %s: cannot give it to user %s", sock, ra->name);
}

/* A reload reads these again, as the new user. */
static void
user_check_reload(const struct server *s, const struct run_as *ra)
{
	const char *paths[] = { s->config_path, s->cfg.certificate, s->cfg.private_key };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
		if (paths[i][0] != '\0' && access(paths[i], R_OK) < 0)
			log_warn("user %s cannot read %s, so a reload (SIGHUP) will fail; "
			    "make it readable by %s", ra->name, paths[i], ra->name);
}

/*
 * Becomes ra's user for good: supplementary groups, group, user, in that
 * order (each step needs the privilege the next one drops).  Every socket
 * is bound and the key read by now, and no thread runs yet.
 */
static int
user_drop(const struct server *s, const struct run_as *ra, char *err, size_t err_len)
{
	if (!ra->drop)
		return 0;
	user_chown(s, ra);
	if (initgroups(ra->name, ra->gid) < 0 || setgid(ra->gid) < 0 || setuid(ra->uid) < 0) {
		snprintf(err, err_len, "cannot become user %s (uid %u, gid %u): %s", ra->name,
		    (unsigned)ra->uid, (unsigned)ra->gid, strerror(errno));
		return -1;
	}
	if (ra->uid != 0 && (setuid(0) == 0 || geteuid() == 0)) {
		snprintf(err, err_len, "became user %s but could still regain root; stopping",
		    ra->name);
		return -1;
	}
	log_info("running as user %s (uid %u, gid %u)", ra->name, (unsigned)ra->uid,
	    (unsigned)ra->gid);
	user_check_reload(s, ra);
	return 0;
}

/*
 * Without -f and outside systemd, detach; the parent exits only when the
 * child reports that it listens (or why it could not), so that "ocmd &&
 * ocm-client ..." works.  stderr stays where it was: that is the log.
 * Returns 0 in the child with *ready_fd set, or -1 when it could not
 * detach (logged).
 */
static int
daemonize(int *ready_fd)
{
	int p[2];
	char status = 1;

	if (pipe2(p, O_CLOEXEC) < 0) {
		log_errx("cannot start in the background: pipe: %s", strerror(errno));
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		log_errx("cannot start in the background: fork: %s", strerror(errno));
		close(p[0]);
		close(p[1]);
		return -1;
	}
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	if (setsid() < 0) {
		/* The parent then reads no status, and exits 1 too. */
		log_errx("cannot start in the background: setsid: %s", strerror(errno));
		close(p[1]);
		return -1;
	}
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	*ready_fd = p[1];
	return 0;
}

static void
report_ready(int fd, char status)
{
	if (fd < 0)
		return;
	if (write(fd, &status, 1) != 1)
		log_warn("cannot report start-up to the parent");
	close(fd);
}

static void
log_listening(const struct server *s)
{
	for (size_t i = 0; i < s->n_tcp; i++)
		log_info("listening on %s (TLS/TCP and UDP)", s->tcp[i].text);
	log_info("%u worker%s%s", s->n_workers, s->n_workers == 1 ? "" : "s",
	    s->steering ? ", datagrams steered to each room's worker" : "");
	log_ocm(LOG_LEVEL_INFO, OCM_EV_READY, NULL, NULL, NULL,
	    "ocmd %s ready; server fingerprint %s", PACKAGE_VERSION, s->fingerprint);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "test", no_argument, NULL, 't' },
		{ "debug", no_argument, NULL, 'd' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH;
	bool foreground = false, test = false;
	int c;

	log_init("ocmd", LOG_LEVEL_INFO);
	json_set_alloc_funcs(malloc, json_free_wiped);
	journal_init();
	while ((c = getopt_long(argc, argv, "c:ftdVh", opts, NULL)) != -1) {
		switch (c) {
		case 'c': path = optarg; break;
		case 'f': foreground = true; break;
		case 't': test = true; break;
		case 'd': srv.debug = true; break;
		case 'V': printf("ocmd (%s) %s\n", PACKAGE_NAME, PACKAGE_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "ocmd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}

	struct config cfg;
	char err[CONFIG_ERROR_MAX];
	if (config_load(path, &cfg, err) < 0) {
		log_errx("%s", err);
		return 1;
	}
	if (test) {
		if (srv.debug)
			config_dump(&cfg, stdout);
		printf("ocmd: configuration %s is valid\n", path);
		return 0;
	}
	if (srv.debug)
		cfg.log_level = LOG_LEVEL_DEBUG;
	log_set_level(cfg.log_level);
	srv.config_path = path;
	struct run_as ra;
	if (user_resolve(&cfg, &ra, err, sizeof(err)) < 0) {
		log_errx("%s", err);
		return 1;
	}

	bool systemd = getenv("NOTIFY_SOCKET") != NULL || getenv("INVOCATION_ID") != NULL;
	int ready_fd = -1;
	if (!foreground && !systemd && daemonize(&ready_fd) < 0)
		return 1;

	signal(SIGPIPE, SIG_IGN);
	if (server_init(&srv, &cfg, err, sizeof(err)) < 0 ||
	    user_drop(&srv, &ra, err, sizeof(err)) < 0) {
		log_errx("%s", err);
		report_ready(ready_fd, 1);
		server_free(&srv);
		return 1;
	}
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	int r = ev_signal_start(srv.loop, sigs, 3, signal_cb);
	if (r < 0) {
		log_errx("cannot watch signals: signalfd: %s", strerror(-r));
		report_ready(ready_fd, 1);
		server_free(&srv);
		return 1;
	}
	/* Worker threads start with these signals blocked, so the main
	 * loop's signalfd gets them all. */
	if (server_start(&srv, err, sizeof(err)) < 0) {
		log_errx("%s", err);
		report_ready(ready_fd, 1);
		server_shutdown(&srv);
		server_free(&srv);
		return 1;
	}
	log_listening(&srv);
	notify_start(&srv);
	notify_ready(&srv);
	report_ready(ready_fd, 0);

	int rc = ev_run(srv.loop);
	if (rc < 0)
		log_errx("event loop: %s", strerror(-rc));
	server_shutdown(&srv);
	server_free(&srv);
	return rc < 0 ? 1 : 0;
}
