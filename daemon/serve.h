/*
 * serve.h: answers one decoded TCRP request (PROTOCOL.md 3).  On the main
 * thread: the rate limit, validation, the directory (does the room exist,
 * which worker homes it or will), the token and the key export; then the
 * request is handed to the home worker, which admits the member and
 * builds the COMPLETE, and comes back here to be logged, counted and
 * encoded (RESPONSE, then COMPLETE on success).  conn.c owns the
 * connection; this file owns the meaning.
 */
#ifndef OCM_SERVE_H
#define OCM_SERVE_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/server.h"
#include "lib/tcrp.h"

struct handoff;
struct member;

struct serve_peer {
	SSL *ssl;
	struct peer_ip ip;
	char addr[64];		/* the address as text, for log lines */
	uint16_t udp_port;	/* announced in COMPLETE */
};

/*
 * Decides what can be decided here for a complete request in rd (or, when
 * rd holds a decode error, the bad_request RESPONSE).  Returns 0 with the
 * reply in *out (malloc'ed); 1 when the request went to its home worker,
 * whose answer arrives as a call of done(&h->mail, srv) on the main
 * thread, with conn in h->conn; -1 when nothing can be sent (allocation
 * failure): then close silently.
 */
int serve_request(struct server *srv, const struct serve_peer *peer, void *conn,
    const struct tcrp_reader *rd, void (*done)(struct mail *, void *), uint8_t **out,
    size_t *out_len);
/* The reply to a request that came back from its home; frees h.  Returns
 * 0 with *out (malloc'ed) or -1 as above. */
int serve_handoff_reply(struct server *srv, struct handoff *h, uint8_t **out,
    size_t *out_len);
/* Frees a hand-off whose connection is gone. */
void serve_handoff_discard(struct handoff *h);
/* The COMPLETE of a new session (home worker side); udp_host "" leaves
 * it out.  0 or -1. */
int serve_session_complete(const struct config *cfg, const struct member *m,
    uint16_t udp_port, const char *udp_host, char **out, size_t *len);

struct cluster_join;
/*
 * A JOIN another node took for a room homed here (cluster.c): decided as
 * if it had come in here (rate limit, the room, the address's limits),
 * then the hand-off for its home worker, whose COMPLETE will send the
 * client to udp_host and udp_port.  NULL with *code and message when it
 * is refused here.
 */
struct handoff *serve_adopt_join(struct server *srv, const struct cluster_join *j,
    const char *udp_host, uint16_t udp_port, enum tcrp_code *code, char *message,
    size_t message_len);
/* The home worker's answer to such a JOIN, logged and counted; frees h.
 * *complete (malloc'ed) is set when *code is OK. */
void serve_adopted_reply(struct server *srv, struct handoff *h, enum tcrp_code *code,
    char *message, size_t message_len, char **complete, size_t *complete_len);

#endif
