/*
 * server.h: the state of one ocmd process, shared by its parts: the
 * config in force, the event loop, the TLS context, listeners, the TCRP
 * connections in flight, the registry, the relay, and the counters that
 * the log and (later) the control socket report.
 */
#ifndef OCM_SERVER_H
#define OCM_SERVER_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stdint.h>

#include "daemon/config.h"
#include "daemon/ev.h"
#include "daemon/ratelimit.h"
#include "daemon/registry.h"
#include "lib/keys.h"
#include "lib/payload.h"

/* Why an unauthenticated or unusable datagram was dropped (PROTOCOL.md 5). */
enum drop_reason {
	DROP_MALFORMED,		/* header does not parse */
	DROP_UNKNOWN_TOKEN,	/* no such session (or expired, or wrong room) */
	DROP_WRONG_ADDRESS,	/* token-to-IP binding */
	DROP_REPLAY,		/* counter seen or too old */
	DROP_BAD_TAG,		/* AEAD did not verify */
	DROP_BAD_PLAINTEXT,	/* authenticated but not a client message */
	DROP_MAX_
};

enum handshake_fail {
	HS_FAIL_TIMEOUT,
	HS_FAIL_TLS,		/* TLS handshake error (incl. no ALPN) */
	HS_FAIL_BUSY,		/* max_handshakes in flight */
	HS_FAIL_CLOSED,		/* peer closed before a request */
	HS_FAIL_MAX_
};

extern const char *const drop_reason_names[DROP_MAX_];
extern const char *const handshake_fail_names[HS_FAIL_MAX_];

struct counters {
	uint64_t handshakes_ok;
	uint64_t handshakes_failed[HS_FAIL_MAX_];
	uint64_t requests[TCRP_CODE_MAX_];	/* responses sent, by code */
	uint64_t datagrams_in, bytes_in;
	uint64_t datagrams_out, bytes_out;
	uint64_t drops[DROP_MAX_];
	uint64_t send_errors;
	uint64_t chats_relayed;
	uint64_t chats_rejected;
	uint64_t tokens_expired;
	uint64_t members_timed_out;
};

#define SERVER_MAX_SOCKETS	CONFIG_MAX_LISTEN

struct listener {
	struct ev_io io;
	struct server *srv;
	char text[64];
};

struct conn;
struct relay;
struct control;

struct server {
	struct config cfg;
	const char *config_path;
	struct ev_loop *loop;
	SSL_CTX *tls;
	char fingerprint[FINGERPRINT_LEN];
	struct listener tcp[SERVER_MAX_SOCKETS];
	size_t n_tcp;
	struct registry *reg;
	struct relay *relay;
	struct control *control;
	struct ratelimit rl;
	struct conn *conns;		/* TCRP connections in flight */
	size_t n_conns;
	bool accept_paused;		/* EMFILE: wait for a free descriptor */
	struct ev_timer accept_timer;
	uint64_t accept_warned_ms;	/* EMFILE warnings at most every 10 s */
	struct counters stats;
	uint64_t started_ms;
	bool debug;			/* -d: debug level whatever the config says */
	bool activated;			/* sockets came from systemd */
	struct ev_timer status_timer;	/* STATUS= refresh */
	struct ev_timer watchdog_timer;	/* WATCHDOG=1 */
	uint64_t watchdog_ms;
	uint64_t status_chats;		/* chats_relayed at the last STATUS= */
	uint64_t status_ms;
	bool stopping;
};

/* Loads TLS, binds every socket.  Returns 0 or -1 with err set. */
int server_init(struct server *srv, const struct config *cfg, char *err, size_t err_len);
/* SIGHUP: re-reads the config and certificate; rooms stay.  On any error
 * the running configuration stays whole. */
int server_reload(struct server *srv);
/* The same, wrapped in RELOADING=1 ... READY=1 for systemd. */
int server_reload_notify(struct server *srv);
/* CLOSED(SERVER_SHUTDOWN) to every member, listeners and connections closed. */
void server_shutdown(struct server *srv);
void server_free(struct server *srv);
void server_log_stats(const struct server *srv);

#endif
