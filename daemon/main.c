/*
 * main.c: ocmd's entry point: options, configuration, start-up (the only
 * place where an error is fatal), signals, and the event loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <malloc.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/journal.h"
#include "daemon/notify.h"
#include "daemon/server.h"
#include "lib/log.h"

static struct server srv;

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
	    "%s: closing %zu rooms and exiting", strsignal(signo), srv.dir.n);
	notify_stopping();
	srv.stopping = true;
	ev_break(loop);
}

/*
 * Without -f and outside systemd, detach; the parent exits only when the
 * child reports that it listens (or why it could not), so that "ocmd &&
 * ocm-client ..." works.  stderr stays where it was: that is the log.
 */
static int
daemonize(void)
{
	int p[2];
	char status = 1;

	if (pipe2(p, O_CLOEXEC) < 0)
		fatal("pipe");
	pid_t pid = fork();
	if (pid < 0)
		fatal("fork");
	if (pid > 0) {
		close(p[1]);
		if (read(p[0], &status, 1) != 1)
			status = 1;
		_exit(status);
	}
	close(p[0]);
	if (setsid() < 0)
		fatal("setsid");
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return p[1];
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

	bool systemd = getenv("NOTIFY_SOCKET") != NULL || getenv("INVOCATION_ID") != NULL;
	int ready_fd = foreground || systemd ? -1 : daemonize();

	signal(SIGPIPE, SIG_IGN);
	if (server_init(&srv, &cfg, err, sizeof(err)) < 0) {
		log_errx("%s", err);
		report_ready(ready_fd, 1);
		server_free(&srv);
		return 1;
	}
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };
	if (ev_signal_start(srv.loop, sigs, 3, signal_cb) < 0)
		fatal("signalfd");
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
