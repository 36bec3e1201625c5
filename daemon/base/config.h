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
	uint32_t udp_buffer_kib;	/* each UDP socket's receive and send buffer */
	uint32_t coalesce_us;		/* the longest a busy worker holds records */
	char user[CONFIG_USER_MAX];	/* become this user after start; "" = stay */
	char certificate[CONFIG_PATH_MAX];	/* "" = generate */
	char private_key[CONFIG_PATH_MAX];
	uint32_t max_rooms;
	uint32_t max_members;
	uint32_t max_members_per_room;
	uint32_t timeout_s;
	uint32_t keepalive_s;
	uint32_t handshake_timeout_s;
	uint32_t max_handshakes;
	uint32_t max_handshakes_per_address;	/* per IPv4 address or IPv6 prefix */
	uint32_t max_rooms_per_address;
	uint32_t max_members_per_address;
	uint32_t ipv6_prefix;		/* bits of an IPv6 address that name a host */
	uint32_t chat_rate;		/* 0: no limit */
	uint32_t max_failed_joins;
	uint32_t failed_join_window_s;
	uint32_t rate_limit_s;
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
