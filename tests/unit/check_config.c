/*
 * check_config.c: ocmd.conf parsing: defaults, a full valid file, and
 * every kind of bad file, each refused with the file, line and key named.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/base/config.h"
#include "tests/unit/util.h"

static char conf_path[64];

/* Writes text to a fresh temporary file (never into the source tree). */
static const char *
write_conf(const char *text)
{
	strcpy(conf_path, "/tmp/ocm-check-config-XXXXXX");
	int fd = mkstemp(conf_path);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "w");
	ck_assert_ptr_nonnull(f);
	fputs(text, f);
	fclose(f);
	return conf_path;
}

START_TEST(defaults_are_documented_values)
{
	struct config c;
	config_defaults(&c);
	ck_assert_uint_eq(c.n_listen, 2);
	ck_assert_str_eq(c.listen[0].text, "0.0.0.0:7600");
	ck_assert_str_eq(c.listen[1].text, "[::]:7600");
	ck_assert_uint_eq(c.max_rooms, 10000);
	ck_assert_uint_eq(c.max_members, 100000);
	ck_assert_uint_eq(c.max_members_per_room, 1000);
	ck_assert_uint_eq(c.timeout_s, 30);
	ck_assert_uint_eq(c.keepalive_s, 10);
	ck_assert_uint_eq(c.handshake_timeout_s, 10);
	ck_assert_uint_eq(c.chat_rate, 20);
	ck_assert_uint_eq(c.max_failed_joins, 10);
	ck_assert_uint_eq(c.failed_join_window_s, 120);
	ck_assert_uint_eq(c.rate_limit_s, 300);
	ck_assert(c.bind_token_to_ip);
	ck_assert_str_eq(c.certificate, "");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_INFO);
	ck_assert_uint_eq(c.workers, 0);	/* auto */
	ck_assert_str_eq(c.user, "");		/* stay who started it */
	ck_assert(!c.cluster.enabled);		/* a single node */
	ck_assert_uint_eq(c.cluster.n_nats, 0);
	ck_assert_str_eq(c.cluster.node, "");
	ck_assert_str_eq(c.cluster.advertise, "");
	ck_assert_str_eq(c.cluster.credentials, "");
	ck_assert_str_eq(c.cluster.ca, "");
}
END_TEST

START_TEST(full_file_overrides_defaults)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	const char *p = write_conf(
	    "; comment\n"
	    "[server]\n"
	    "listen = 127.0.0.1:7601   ; inline comment\n"
	    "listen = [::1]:7602\n"
	    "state_dir = /tmp/ocm-state\n"
	    "control_socket = /tmp/ocm.sock\n"
	    "log_level = debug\n"
	    "workers = 4\n"
	    "user = _ocm-d.1\n"
	    "[tls]\n"
	    "certificate = /etc/ssl/a.pem\n"
	    "private_key = /etc/ssl/a.key\n"
	    "[limits]\n"
	    "max_rooms = 5\n"
	    "timeout_s = 3\n"
	    "keepalive_s = 1\n"
	    "chat_rate = 100\n"
	    "bind_token_to_ip = no\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert_uint_eq(c.n_listen, 2);
	ck_assert_str_eq(c.listen[0].text, "127.0.0.1:7601");
	ck_assert_str_eq(c.listen[1].text, "[::1]:7602");
	ck_assert_uint_eq(c.listen[1].ss.ss_family, AF_INET6);
	ck_assert_str_eq(c.state_dir, "/tmp/ocm-state");
	ck_assert_str_eq(c.control_socket, "/tmp/ocm.sock");
	ck_assert_int_eq(c.log_level, LOG_LEVEL_DEBUG);
	ck_assert_uint_eq(c.workers, 4);
	ck_assert_str_eq(c.user, "_ocm-d.1");
	ck_assert_str_eq(c.certificate, "/etc/ssl/a.pem");
	ck_assert_uint_eq(c.max_rooms, 5);
	ck_assert_uint_eq(c.timeout_s, 3);
	ck_assert_uint_eq(c.keepalive_s, 1);
	ck_assert_uint_eq(c.chat_rate, 100);
	ck_assert(!c.bind_token_to_ip);
	ck_assert_uint_eq(c.max_members, 100000);	/* untouched default */
}
END_TEST

struct bad_conf {
	const char *text;
	const char *error;	/* expected after "PATH" */
};

static const struct bad_conf bad_confs[] = {
	{ "[server]\nbogus = 1\n", ":2: [server] bogus: unknown key" },
	{ "[limits]\nlisten = 1.2.3.4:5\n", ":2: [limits] listen: unknown key in this section (it belongs in [server])" },
	{ "max_rooms = 3\n", ":1: [] max_rooms: unknown key in this section (it belongs in [limits])" },
	{ "[limits]\n\nmax_rooms = abc\n", ":3: [limits] max_rooms: 'abc' is not a whole number in 1..1000000" },
	{ "[limits]\nmax_rooms = 0\n", ":2: [limits] max_rooms: '0' is not a whole number in 1..1000000" },
	{ "[limits]\nmax_rooms = -1\n", ":2: [limits] max_rooms: '-1' is not" },
	{ "[limits]\nmax_rooms = 99999999999999999999\n", ":2: [limits] max_rooms: '99999999999999999999' is not" },
	{ "[limits]\nmax_rooms = 7x\n", ":2: [limits] max_rooms: '7x' is not" },
	{ "[limits]\nbind_token_to_ip = maybe\n", ":2: [limits] bind_token_to_ip: 'maybe' is not yes or no" },
	{ "[server]\nlisten = localhost:7600\n", ":2: [server] listen: 'localhost:7600' is not ADDRESS:PORT" },
	{ "[server]\nlisten = 1.2.3.4\n", ":2: [server] listen: '1.2.3.4' is not ADDRESS:PORT" },
	{ "[server]\nlisten = 1.2.3.4:0\n", ":2: [server] listen: '1.2.3.4:0' is not" },
	{ "[server]\nlisten = 1.2.3.4:65536\n", ":2: [server] listen: '1.2.3.4:65536' is not" },
	{ "[server]\nlisten = [::1:7600\n", ":2: [server] listen: '[::1:7600' is not" },
	{ "[server]\nstate_dir = var/lib\n", ":2: [server] state_dir: 'var/lib' is not an absolute path" },
	{ "[server]\nstate_dir =\n", ":2: [server] state_dir: a path is required" },
	{ "[server]\nlog_level = loud\n", ":2: [server] log_level: 'loud' is not one of err, warning, info, debug" },
	{ "[server]\nthis line has no equals sign\n", ":2: syntax error" },
	{ "[server]\nworkers = 0\n", ":2: [server] workers: '0' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = 65\n", ":2: [server] workers: '65' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = all\n", ":2: [server] workers: 'all' is not auto or a whole number in 1..64" },
	{ "[server]\nworkers = Auto\n", ":2: [server] workers: 'Auto' is not auto" },
	{ "[server]\nuser = -ocmd\n", ":2: [server] user: '-ocmd' is not a user name" },
	{ "[server]\nuser = oc md\n", ":2: [server] user: 'oc md' is not a user name" },
	{ "[server]\nuser = ocmd:ocmd\n", ":2: [server] user: 'ocmd:ocmd' is not a user name" },
	{ "[server]\nuser = 123456789012345678901234567890123\n",
	  ":2: [server] user: '123456789012345678901234567890123' is not a user name "
	  "(letters, digits, '.', '_', '-'; up to 32)" },
	{ "[limits]\nkeepalive_s = 30\n", ": [limits] keepalive_s (30) must be less than timeout_s (30)" },
	{ "[tls]\ncertificate = /a.pem\n", ": [tls] certificate and private_key must be set together" },
	{ "[limits]\nmax_members = 10\n", ": [limits] max_members_per_room (1000) exceeds max_members (10)" },
};

START_TEST(bad_file_names_line_and_key)
{
	const struct bad_conf *b = &bad_confs[_i];
	struct config c, before;
	char err[CONFIG_ERROR_MAX] = "";
	char want[CONFIG_ERROR_MAX + 64];

	config_defaults(&c);
	c.max_rooms = 4242;
	before = c;
	const char *p = write_conf(b->text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	snprintf(want, sizeof(want), "%s%s", p, b->error);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
	ck_assert_uint_eq(c.max_rooms, before.max_rooms);	/* untouched on error */
}
END_TEST

START_TEST(overlong_line_is_refused)
{
	char text[600];
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";

	strcpy(text, "[server]\nstate_dir = /");
	memset(text + strlen(text), 'a', 400);
	strcpy(text + 22 + 400, "\n");
	const char *p = write_conf(text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	ck_assert_msg(strstr(err, ":2: line longer than") != NULL, "%s", err);
}
END_TEST

START_TEST(missing_file_names_it)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	ck_assert_int_eq(config_load("/nonexistent/ocmd.conf", &c, err), -1);
	ck_assert_str_eq(err, "/nonexistent/ocmd.conf: cannot open: No such file or directory");
}
END_TEST

START_TEST(dump_round_trips)
{
	struct config a, b;
	char err[CONFIG_ERROR_MAX] = "";
	config_defaults(&a);
	a.max_rooms = 77;
	a.bind_token_to_ip = false;
	strcpy(conf_path, "/tmp/ocm-check-dump-XXXXXX");
	int fd = mkstemp(conf_path);
	FILE *f = fdopen(fd, "w");
	config_dump(&a, f);
	fclose(f);
	ck_assert_msg(config_load(conf_path, &b, err) == 0, "%s", err);
	unlink(conf_path);
	ck_assert_uint_eq(b.max_rooms, 77);
	ck_assert(!b.bind_token_to_ip);
	ck_assert_uint_eq(b.n_listen, 2);
	ck_assert_str_eq(b.listen[1].text, "[::]:7600");
	ck_assert_str_eq(b.state_dir, a.state_dir);
	ck_assert(!b.cluster.enabled);		/* no [cluster] written */
}
END_TEST

/*
 * [cluster].  Parsing is tested in a build with NATS; a build without it
 * must refuse the section (both are run: configure --with-nats=no).
 */
#define LISTEN_LO "[server]\nlisten = 127.0.0.1:7600\n"

START_TEST(no_cluster_section_means_single_node)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	const char *p = write_conf("[server]\nlisten = 0.0.0.0:7600\n[limits]\nmax_rooms = 9\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert(!c.cluster.enabled);
	ck_assert_uint_eq(c.cluster.n_nats, 0);
	ck_assert_str_eq(c.cluster.node, "");
	ck_assert_str_eq(c.cluster.advertise, "");
	ck_assert(!config_cluster_insecure(&c, NULL));
}
END_TEST

struct node_case {
	const char *host;
	const char *node;
};

static const struct node_case node_cases[] = {
	{ "chat-1", "chat-1" },
	{ "A_b-9", "A_b-9" },
	{ "chat1.example.org", "chat1-example-org" },
	{ "h\xc3\xa9t e:x", "h--t-e-x" },	/* each byte outside the set, UTF-8 too */
	{ "", "" },
	{ "0123456789012345678901234567890123456789012345678901234567890123456789",
	  "012345678901234567890123456789012345678901234567890123456789012" },
};

START_TEST(node_from_hostname_sanitises)
{
	const struct node_case *t = &node_cases[_i];
	char out[CLUSTER_NODE_MAX];

	memset(out, 'x', sizeof(out));
	config_node_from_hostname(t->host, out);
	ck_assert_str_eq(out, t->node);
}
END_TEST

struct insecure_case {
	const char *nats[3];
	const char *ca;
	const char *first;	/* NULL: not insecure */
};

static const struct insecure_case insecure_cases[] = {
	{ { "nats://127.0.0.1:4222" }, "", NULL },
	{ { "nats://127.200.0.9" }, "", NULL },
	{ { "nats://[::1]:4222" }, "", NULL },
	{ { "nats://localhost:4222", "nats://LocalHost" }, "", NULL },
	{ { "tls://10.0.0.1:4222" }, "", NULL },
	{ { "tls://nats.example.org" }, "", NULL },
	{ { "nats://10.0.0.1:4222" }, "/etc/ocmd/nats-ca.pem", NULL },
	{ { "nats://10.0.0.1:4222" }, "", "nats://10.0.0.1:4222" },
	{ { "nats://128.0.0.1" }, "", "nats://128.0.0.1" },
	{ { "nats://[::2]:4222" }, "", "nats://[::2]:4222" },
	{ { "nats://localhost.example.org" }, "", "nats://localhost.example.org" },
	{ { "nats://127.0.0.1", "tls://b.example", "nats://c.example:4223" }, "",
	  "nats://c.example:4223" },
};

START_TEST(cluster_insecure_names_first_plain_remote_url)
{
	const struct insecure_case *t = &insecure_cases[_i];
	struct config c;
	const char *url = "untouched";

	config_defaults(&c);
	c.cluster.enabled = true;
	for (size_t i = 0; i < 3 && t->nats[i] != NULL; i++)
		strcpy(c.cluster.nats[c.cluster.n_nats++], t->nats[i]);
	strcpy(c.cluster.ca, t->ca);
	if (t->first == NULL) {
		ck_assert(!config_cluster_insecure(&c, &url));
		ck_assert_str_eq(url, "untouched");
	} else {
		ck_assert(config_cluster_insecure(&c, &url));
		ck_assert_str_eq(url, t->first);
	}
}
END_TEST

#ifdef HAVE_NATS
START_TEST(cluster_full_section)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	const char *p = write_conf(LISTEN_LO
	    "[cluster]\n"
	    "nats = nats://127.0.0.1:4222\n"
	    "nats = tls://nats-2.example.org:4443\n"
	    "nats = tls://[2001:db8::7]\n"
	    "nats = nats://10.1.2.3\n"
	    "nats_credentials = /etc/ocmd/nats.creds\n"
	    "nats_ca = /etc/ocmd/nats-ca.pem\n"
	    "node = paris_1\n"
	    "advertise = chat.example.org\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert(c.cluster.enabled);
	ck_assert_uint_eq(c.cluster.n_nats, 4);
	ck_assert_str_eq(c.cluster.nats[0], "nats://127.0.0.1:4222");
	ck_assert_str_eq(c.cluster.nats[1], "tls://nats-2.example.org:4443");
	ck_assert_str_eq(c.cluster.nats[2], "tls://[2001:db8::7]");
	ck_assert_str_eq(c.cluster.nats[3], "nats://10.1.2.3");
	ck_assert_str_eq(c.cluster.credentials, "/etc/ocmd/nats.creds");
	ck_assert_str_eq(c.cluster.ca, "/etc/ocmd/nats-ca.pem");
	ck_assert_str_eq(c.cluster.node, "paris_1");
	ck_assert_str_eq(c.cluster.advertise, "chat.example.org");
	ck_assert(!config_cluster_insecure(&c, NULL));	/* nats_ca: TLS throughout */
}
END_TEST

/* An empty credentials or CA path means none; an IPv6 advertise has no
 * brackets; the section header may be indented. */
START_TEST(cluster_optional_keys_empty)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	const char *p = write_conf(LISTEN_LO
	    "  [cluster] ; the nodes\n"
	    "nats = nats://localhost\n"
	    "nats_credentials =\n"
	    "nats_ca =\n"
	    "advertise = 2001:db8::1\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert(c.cluster.enabled);
	ck_assert_str_eq(c.cluster.credentials, "");
	ck_assert_str_eq(c.cluster.ca, "");
	ck_assert_str_eq(c.cluster.advertise, "2001:db8::1");
}
END_TEST

START_TEST(cluster_node_defaults_to_hostname)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	char host[256] = "", want[CLUSTER_NODE_MAX];

	ck_assert_int_eq(gethostname(host, sizeof(host) - 1), 0);
	config_node_from_hostname(host, want);
	const char *p = write_conf(LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\n");
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert_str_eq(c.cluster.node, want);
	ck_assert_uint_gt(strlen(c.cluster.node), 0);
}
END_TEST

struct advertise_case {
	const char *listen;	/* the [server] section */
	const char *advertise;
};

static const struct advertise_case advertise_cases[] = {
	{ "listen = 192.0.2.10:7600\n", "192.0.2.10" },
	{ "listen = 0.0.0.0:7600\nlisten = [::]:7601\nlisten = [2001:db8::5]:7602\n",
	  "2001:db8::5" },
	{ "listen = [::1]:7600\nlisten = 127.0.0.1:7600\n", "::1" },
};

START_TEST(cluster_advertise_defaults_to_listen)
{
	const struct advertise_case *t = &advertise_cases[_i];
	struct config c;
	char err[CONFIG_ERROR_MAX] = "", text[512];

	snprintf(text, sizeof(text), "[server]\n%s[cluster]\nnats = nats://127.0.0.1\n",
	    t->listen);
	const char *p = write_conf(text);
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert_str_eq(c.cluster.advertise, t->advertise);
}
END_TEST

START_TEST(cluster_eight_nats_urls)
{
	struct config c;
	char err[CONFIG_ERROR_MAX] = "", text[1024];
	size_t n = 0;

	n += (size_t)snprintf(text, sizeof(text), LISTEN_LO "[cluster]\n");
	for (int i = 1; i <= CONFIG_MAX_NATS; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "nats = nats://10.0.0.%d\n", i);
	const char *p = write_conf(text);
	ck_assert_msg(config_load(p, &c, err) == 0, "%s", err);
	unlink(p);
	ck_assert_uint_eq(c.cluster.n_nats, CONFIG_MAX_NATS);
	ck_assert_str_eq(c.cluster.nats[CONFIG_MAX_NATS - 1], "nats://10.0.0.8");

	snprintf(text + n, sizeof(text) - n, "nats = nats://10.0.0.9\n");
	p = write_conf(text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	ck_assert_msg(strstr(err, ":12: [cluster] nats: more than 8 nats URLs") != NULL, "%s",
	    err);
}
END_TEST

START_TEST(cluster_dump_round_trips)
{
	struct config a, b;
	char err[CONFIG_ERROR_MAX] = "", line[512];
	bool section = false;

	config_defaults(&a);
	a.cluster.enabled = true;
	strcpy(a.cluster.nats[0], "nats://127.0.0.1:4222");
	strcpy(a.cluster.nats[1], "tls://[::1]");
	a.cluster.n_nats = 2;
	strcpy(a.cluster.ca, "/etc/ocmd/ca.pem");
	strcpy(a.cluster.node, "n-1");
	strcpy(a.cluster.advertise, "192.0.2.1");
	strcpy(conf_path, "/tmp/ocm-check-dump-XXXXXX");
	int fd = mkstemp(conf_path);
	FILE *f = fdopen(fd, "w+");
	config_dump(&a, f);
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL)
		section |= strcmp(line, "[cluster]\n") == 0;
	fclose(f);
	ck_assert(section);
	ck_assert_msg(config_load(conf_path, &b, err) == 0, "%s", err);
	unlink(conf_path);
	ck_assert(b.cluster.enabled);
	ck_assert_uint_eq(b.cluster.n_nats, 2);
	ck_assert_str_eq(b.cluster.nats[1], "tls://[::1]");
	ck_assert_str_eq(b.cluster.credentials, "");
	ck_assert_str_eq(b.cluster.ca, "/etc/ocmd/ca.pem");
	ck_assert_str_eq(b.cluster.node, "n-1");
	ck_assert_str_eq(b.cluster.advertise, "192.0.2.1");
}
END_TEST

static const struct bad_conf bad_cluster_confs[] = {
	{ LISTEN_LO "[cluster]\nnats = http://x\n",
	  ":4: [cluster] nats: 'http://x' is not a NATS URL (nats://HOST:PORT or tls://HOST:PORT)" },
	{ LISTEN_LO "[cluster]\nnats = 127.0.0.1:4222\n", ":4: [cluster] nats: '127.0.0.1:4222' is not a NATS URL" },
	{ LISTEN_LO "[cluster]\nnats = NATS://a\n", ":4: [cluster] nats: 'NATS://a' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://\n", ":4: [cluster] nats: 'nats://' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a:0\n", ":4: [cluster] nats: 'nats://a:0' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a:65536\n", ":4: [cluster] nats: 'nats://a:65536' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a:\n", ":4: [cluster] nats: 'nats://a:' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a:42x\n", ":4: [cluster] nats: 'nats://a:42x' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a:4222/\n", ":4: [cluster] nats: 'nats://a:4222/' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://u:p@a:4222\n", ":4: [cluster] nats: 'nats://u:p@a:4222' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://::1:4222\n", ":4: [cluster] nats: 'nats://::1:4222' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://[::1\n", ":4: [cluster] nats: 'nats://[::1' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://[1.2.3.4]\n", ":4: [cluster] nats: 'nats://[1.2.3.4]' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://1.2.3.400\n", ":4: [cluster] nats: 'nats://1.2.3.400' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a..b\n", ":4: [cluster] nats: 'nats://a..b' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://a b\n", ":4: [cluster] nats: 'nats://a b' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnats_ca = ca.pem\n",
	  ":5: [cluster] nats_ca: 'ca.pem' is not an absolute path" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnats_credentials = x\n",
	  ":5: [cluster] nats_credentials: 'x' is not an absolute path" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnode = a.b\n",
	  ":5: [cluster] node: 'a.b' is not a node name (1..63 letters, digits, '_', '-')" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnode = a*\n", ":5: [cluster] node: 'a*' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnode = n\xc3\xa9\n", ":5: [cluster] node: 'n" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nnode =\n", ":5: [cluster] node: '' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\n"
	  "node = 0123456789012345678901234567890123456789012345678901234567890123\n",
	  ":5: [cluster] node: '0123456789012345678901234567890123456789012345678901234567890123' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise = [::1]\n",
	  ":5: [cluster] advertise: '[::1]' is not a host name or IP address (IPv6 without brackets)" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise = a.example:7600\n",
	  ":5: [cluster] advertise: 'a.example:7600' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise = chat example\n",
	  ":5: [cluster] advertise: 'chat example' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise =\n", ":5: [cluster] advertise: '' is not" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise = 0.0.0.0\n",
	  ":5: [cluster] advertise: '0.0.0.0' is a wildcard" },
	{ LISTEN_LO "[cluster]\nnats = nats://127.0.0.1\nadvertise = ::\n",
	  ":5: [cluster] advertise: '::' is a wildcard" },
	{ LISTEN_LO "\n[cluster]\n", ":4: [cluster] nats: no NATS server; add a line such as "
	  "nats = nats://127.0.0.1:4222" },
	{ LISTEN_LO "[cluster]\nnode = a\n[limits]\nmax_rooms = 5\n", ":3: [cluster] nats: no NATS server" },
	{ "[cluster]\nnats = nats://127.0.0.1\n",
	  ":1: [cluster] advertise: needed because every listen address is a wildcard; "
	  "set it to the address clients reach this node at" },
	{ "[server]\nlisten = 0.0.0.0:1\nlisten = [::]:2\n[cluster]\nnats = nats://127.0.0.1\n",
	  ":4: [cluster] advertise: needed because every listen address is a wildcard" },
	{ "[server]\nnats = nats://127.0.0.1\n", ":2: [server] nats: unknown key in this section (it belongs in [cluster])" },
};
#else
static const struct bad_conf bad_cluster_confs[] = {
	{ LISTEN_LO "\n[cluster]\nnats = nats://127.0.0.1\n",
	  ":4: [cluster]: this ocmd was built without NATS support; rebuild with "
	  "./configure --with-nats=yes (package libnats-dev) or remove the [cluster] section" },
	{ "[cluster]\n", ":1: [cluster]: this ocmd was built without NATS support" },
	{ LISTEN_LO "[cluster]\nnats = http://bad\n", ":3: [cluster]: this ocmd was built without NATS support" },
};
#endif

START_TEST(bad_cluster_names_line_and_key)
{
	const struct bad_conf *b = &bad_cluster_confs[_i];
	struct config c;
	char err[CONFIG_ERROR_MAX] = "";
	char want[CONFIG_ERROR_MAX + 64];

	config_defaults(&c);
	const char *p = write_conf(b->text);
	ck_assert_int_eq(config_load(p, &c, err), -1);
	unlink(p);
	snprintf(want, sizeof(want), "%s%s", p, b->error);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "got '%s', want '%s...'", err, want);
	ck_assert(!c.cluster.enabled);	/* untouched on error */
}
END_TEST

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static Suite *
config_suite(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, defaults_are_documented_values);
	tcase_add_test(tc, full_file_overrides_defaults);
	tcase_add_loop_test(tc, bad_file_names_line_and_key, 0,
	    (int)(sizeof(bad_confs) / sizeof(bad_confs[0])));
	tcase_add_test(tc, overlong_line_is_refused);
	tcase_add_test(tc, missing_file_names_it);
	tcase_add_test(tc, dump_round_trips);
	suite_add_tcase(s, tc);

	tc = tcase_create("cluster");
	tcase_add_test(tc, no_cluster_section_means_single_node);
	tcase_add_loop_test(tc, node_from_hostname_sanitises, 0, N(node_cases));
	tcase_add_loop_test(tc, cluster_insecure_names_first_plain_remote_url, 0,
	    N(insecure_cases));
#ifdef HAVE_NATS
	tcase_add_test(tc, cluster_full_section);
	tcase_add_test(tc, cluster_optional_keys_empty);
	tcase_add_test(tc, cluster_node_defaults_to_hostname);
	tcase_add_loop_test(tc, cluster_advertise_defaults_to_listen, 0, N(advertise_cases));
	tcase_add_test(tc, cluster_eight_nats_urls);
	tcase_add_test(tc, cluster_dump_round_trips);
#endif
	tcase_add_loop_test(tc, bad_cluster_names_line_and_key, 0, N(bad_cluster_confs));
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(config_suite)
