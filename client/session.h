/*
 * session.h: the client side of the protocol, shared by ocm-client,
 * ocm-gtk, the integration-test peer and ocm-bench.  tcrp_call() does one
 * TCRP exchange (TCP, TLS 1.3 with ALPN, server verification by CA or
 * known_servers, request, RESPONSE, COMPLETE, key export); the udp_*
 * functions then speak sealed datagrams on a connected UDP socket, and
 * room.h runs the room session on top of them.
 */
#ifndef OCM_CLIENT_SESSION_H
#define OCM_CLIENT_SESSION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/aead.h"
#include "lib/datagram.h"
#include "lib/keys.h"
#include "lib/payload.h"
#include "lib/replay.h"
#include "lib/tcrp.h"

#define CLIENT_ERR_MAX	1024

struct server_opts {
	const char *host;
	uint16_t port;
	const char *ca_file;		/* X.509 verification; NULL: TOFU */
	const char *known_servers;	/* TOFU file; NULL: the XDG default */
	bool quiet_tofu;		/* do not announce a newly pinned server */
	bool tofu_ask;			/* do not pin a new server: fail, unpinned */
	int timeout_ms;			/* connect + whole exchange */
};

/* The outcome of a TCRP exchange. */
struct tcrp_result {
	enum tcrp_code code;		/* TCRP_CODE_OK or the server's error */
	char message[512];		/* the server's message on error */
	struct tcrp_session session;	/* CREATE/JOIN on OK */
	struct udp_keys keys;		/* CREATE/JOIN on OK */
	struct tcrp_room_info *rooms;	/* LIST_ROOMS on OK (free()) */
	size_t n_rooms;
	bool rooms_more;		/* LIST_ROOMS: rooms after these exist (a
					 * page, or a list cut by tcrp_list_rooms) */
	char fingerprint[FINGERPRINT_LEN];
	char server_addr[64];		/* numeric address actually connected */
	bool unpinned;			/* failed: tofu_ask and the server is new */
};

/*
 * Runs one request (req->operation says which).  Returns 0 when the server
 * answered (res->code says how), or -1 with err describing a local or
 * transport failure (cannot connect, TLS or verification failure,
 * malformed reply).  On 0, tcrp_result_clear() frees what it holds.  With
 * o->tofu_ask, a server not in known_servers fails with res->unpinned and
 * res->fingerprint set: known_servers_pin() it if the user agrees, and
 * call again (a key that changed meanwhile is then refused).
 */
int tcrp_call(const struct server_opts *o, const struct tcrp_request *req,
    struct tcrp_result *res, char err[CLIENT_ERR_MAX]);
void tcrp_result_clear(struct tcrp_result *res);

/*
 * The most rooms tcrp_list_rooms() takes from one server, as many as a
 * person can look through, and the most pages (connections) it asks for
 * them: an honest server sends up to 1,000 rooms a page, about 200 when
 * every name is 255 bytes long, so a server that needs more pages than
 * this is stalling.  Either bound cuts the list, and says so.
 */
#define LIST_ROOMS_MAX	1000
#define LIST_PAGES_MAX	20

/*
 * LIST_ROOMS from the rooms after `after` (NULL or "": from the first), a
 * page at a time: asks again after the last name listed, for what is left
 * of LIST_ROOMS_MAX, while the server says more follow (doc/protocol.md
 * 5.5).  Returns as tcrp_call(), with the rooms in res (or the refusal of
 * the page that failed).  At LIST_ROOMS_MAX rooms or LIST_PAGES_MAX pages
 * it stops with res->rooms_more still true: the list was cut, and the
 * rooms after the last one in it are left for another call.  A server that
 * lists a name not after the one asked for, or an empty page with more to
 * come, sends a malformed reply.
 */
int tcrp_list_rooms(const struct server_opts *o, const char *after, struct tcrp_result *res,
    char err[CLIENT_ERR_MAX]);

/* The TLS connection under tcrp_call(), for tools that speak TCRP
 * themselves (the test peer). */
struct tls_conn {
	int fd;
	SSL_CTX *ctx;
	SSL *ssl;
	char fingerprint[FINGERPRINT_LEN];
	char addr[64];
	bool unpinned;			/* open failed: tofu_ask and a new server */
};
int tls_conn_open(const struct server_opts *o, struct tls_conn *c, char err[CLIENT_ERR_MAX]);
/* Sends close_notify and closes; idempotent. */
void tls_conn_close(struct tls_conn *c);
/* Reads one whole TCRP message (bytes after it are lost: one-shot). */
int tls_read_message(SSL *ssl, struct tcrp_reader *rd, char err[CLIENT_ERR_MAX]);

/* The default known_servers path: $XDG_CONFIG_HOME/ocm/known_servers or
 * ~/.config/ocm/known_servers. */
int known_servers_default(char *buf, size_t len);
/* Appends "host:port fingerprint" for o's server to its known_servers.
 * Returns 0 or -1 with err. */
int known_servers_pin(const struct server_opts *o, const char *fp, char err[CLIENT_ERR_MAX]);

/* A UDP session built from a successful CREATE/JOIN. */
struct udp_session {
	int fd;				/* connected to the server's udp_port */
	struct aead *tx, *rx;
	uint64_t tx_counter;
	struct replay_window replay;
	uint8_t room_len;
	char room[OCM_NAME_MAX + 1];
	char user[OCM_NAME_MAX + 1];
	uint8_t token[OCM_TOKEN_LEN];
	size_t max_text;		/* the longest CHAT text this member may send */
	uint32_t keepalive_s, timeout_s;
	uint64_t drops;			/* datagrams that did not authenticate */
	/* The newest challenge a PONG brought (doc/address-proof.md), and
	 * whether udp_recv() leaves it unanswered (tests only). */
	bool have_challenge;
	bool hold_challenges;
	uint8_t challenge[MSG_CHALLENGE_LEN];
};

/* Opens the socket and keys (wiped from res).  Returns 0 or -1 with err. */
int udp_session_open(struct udp_session *u, const struct server_opts *o,
    const struct tcrp_request *req, struct tcrp_result *res, char err[CLIENT_ERR_MAX]);
void udp_session_close(struct udp_session *u);

/* Seals and sends one plaintext.  Returns 0 or -1 (errno set). */
int udp_send(struct udp_session *u, const uint8_t *pt, size_t len);
int udp_send_chat(struct udp_session *u, const char *text, size_t len);
/* PING, LEAVE or WHO.  A PING goes as udp_send_ping(u, NULL) does. */
int udp_send_empty(struct udp_session *u, uint8_t type);
/*
 * A PING whose body is the challenge given, or MSG_CHALLENGE_LEN bytes of
 * padding when challenge is NULL: padded, it is as large as the PONG with
 * a challenge that the server may answer it with, which it sends only
 * when that is no larger than the PING (doc/address-proof.md).
 */
int udp_send_ping(struct udp_session *u, const uint8_t *challenge);

/*
 * Receives one datagram without blocking and authenticates it into buf
 * (OCM_MAX_DATAGRAM bytes).  Returns the plaintext length with *pt set, 0
 * when nothing (valid) is waiting, -1 on a socket error.  A PONG with a
 * challenge (alone or in a BATCH) is answered at once, before it is
 * returned, by a PING echoing it: the server heard this socket from an
 * address it sends nothing else to until the echo proves it ours.
 */
long udp_recv(struct udp_session *u, uint8_t *buf, uint8_t **pt);

#endif
