/*
 * config.h: ocmd.conf (INI, read with inih): every key, its default and its
 * bounds.  A config is parsed whole into a new struct config and only then
 * swapped in, so a bad file on SIGHUP changes nothing.
 */
#ifndef OCM_CONFIG_H
#define OCM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

#include "lib/log.h"

#define CONFIG_DEFAULT_PATH	SYSCONFDIR "/ocmd/ocmd.conf"
#define CONFIG_MAX_LISTEN	16
#define CONFIG_PATH_MAX		4096
#define CONFIG_ERROR_MAX	512
#define CONFIG_MAX_WORKERS	64	/* a token's first byte names its worker (relay/steer.h) */
#define CONFIG_USER_MAX		33	/* a user name of up to 32 bytes */
#define CONFIG_MAX_NATS		8
#define CLUSTER_NODE_MAX	64	/* node name: 1..63 bytes of [A-Za-z0-9_-] */

/*
 * The numeric keys, one row each: X(section, key, default, min, max).
 * A row is the struct field, the key in ocmd.conf with its range, its
 * default and its line in ocmd -t -d; a new number is one row here plus
 * its documentation (ocmd.conf(5), etc/ocmd.conf: docs.test checks).
 * [server]: udp_buffer_kib is each UDP socket's receive and send buffer;
 * coalesce_us the longest a busy worker holds records.  [limits]:
 * max_handshakes_per_address counts per IPv4 address or IPv6 prefix;
 * ipv6_prefix is the bits of an IPv6 address that name a host;
 * chat_rate 0 is no limit.
 */
#define CONFIG_SERVER_NUMBERS(X) \
	X(server, udp_buffer_kib, 16384, 64, 1048576) \
	X(server, coalesce_us, 400, 0, 1000)
#define CONFIG_LIMITS(X) \
	X(limits, max_rooms, 10000, 1, 1000000) \
	X(limits, max_members, 100000, 1, 10000000) \
	X(limits, max_members_per_room, 1000, 2, 100000) \
	X(limits, timeout_s, 30, 2, 86400) \
	X(limits, keepalive_s, 10, 1, 86400) \
	X(limits, handshake_timeout_s, 10, 1, 300) \
	X(limits, max_handshakes, 1000, 1, 100000) \
	X(limits, max_handshakes_per_address, 100, 1, 100000) \
	X(limits, max_rooms_per_address, 500, 1, 1000000) \
	X(limits, max_members_per_address, 2000, 1, 10000000) \
	X(limits, ipv6_prefix, 64, 32, 128) \
	X(limits, chat_rate, 20, 0, 1000000) \
	X(limits, max_failed_joins, 10, 1, 100000) \
	X(limits, failed_join_window_s, 120, 1, 86400) \
	X(limits, rate_limit_s, 300, 1, 86400)
#define CONFIG_FIELD(sec, key, def, lo, hi)	uint32_t key;

struct listen_addr {
	struct sockaddr_storage ss;
	socklen_t len;
	char text[64];			/* as written, normalised: 1.2.3.4:7600, [::1]:7600 */
};

/*
 * [cluster]: the NATS servers through which several ocmd nodes act as one
 * service.  Without the section, enabled is false, the rest is empty and
 * ocmd never touches NATS.  node and advertise hold their defaults (from
 * the host name, from listen) once config_load has succeeded.
 */
struct cluster_config {
	bool enabled;				/* a [cluster] section exists */
	char nats[CONFIG_MAX_NATS][256];	/* URLs as written */
	size_t n_nats;
	char credentials[CONFIG_PATH_MAX];	/* nats_credentials, "" = none */
	char ca[CONFIG_PATH_MAX];		/* nats_ca, "" = none */
	char node[CLUSTER_NODE_MAX];		/* node */
	char advertise[256];			/* advertise: host or IP literal */
};

struct config {
	struct listen_addr listen[CONFIG_MAX_LISTEN];
	size_t n_listen;
	char state_dir[CONFIG_PATH_MAX];
	char control_socket[108];	/* sun_path */
	enum log_level log_level;
	uint32_t workers;		/* 0: auto (the CPUs ocmd may run on) */
	CONFIG_SERVER_NUMBERS(CONFIG_FIELD)
	char user[CONFIG_USER_MAX];	/* become this user after start; "" = stay */
	char certificate[CONFIG_PATH_MAX];	/* "" = generate */
	char private_key[CONFIG_PATH_MAX];
	CONFIG_LIMITS(CONFIG_FIELD)
	bool bind_token_to_ip;
	struct listen_addr metrics_listen;	/* len 0: no metrics endpoint */
	struct cluster_config cluster;
};

/* Every key at its documented default (listen: 0.0.0.0:7600 and [::]:7600). */
void config_defaults(struct config *c);

/*
 * Reads path over the defaults.  Returns 0, or -1 with a message in err
 * that names the file, the line and the key ("ocmd.conf:7: [limits]
 * max_rooms: '0' is out of range 1..1000000").  *c is untouched on error.
 */
int config_load(const char *path, struct config *c, char err[CONFIG_ERROR_MAX]);

/* Parses "1.2.3.4:7600" or "[::1]:7600" (numeric only).  Returns 0 or -1. */
int config_parse_addr(const char *s, struct listen_addr *out);

/* Writes every key with its value, in ocmd.conf syntax (ocmd -t -d). */
void config_dump(const struct config *c, FILE *f);

/*
 * The default node name from a host name: every byte outside [A-Za-z0-9_-]
 * becomes '-', and the result is cut to CLUSTER_NODE_MAX - 1 bytes.  An
 * empty host gives an empty name.
 */
void config_node_from_hostname(const char *host, char out[CLUSTER_NODE_MAX]);

/* True when a nats URL of c names a host other than loopback
 * (127.0.0.0/8, ::1, localhost) and the connection would not use TLS
 * (scheme nats:// and no nats_ca).  *url is the first such URL. */
bool config_cluster_insecure(const struct config *c, const char **url);

#endif
