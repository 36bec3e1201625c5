/*
 * request.h: one decoded TCRP request to its answer (doc/protocol.md 5),
 * and the whole life of a CREATE's or JOIN's hand-off on every route: a
 * worker here, another node (the cluster's claim or join), or a JOIN
 * another node took for a room homed here.  On the main thread: the rate
 * limit, validation, the directory (does the room exist, which worker
 * homes it or will), the token and the key export; then the home worker
 * admits the member and builds the COMPLETE (handoff_admit, the one
 * function here that runs on a worker's thread), and the answer comes
 * back here to be logged, counted and encoded (RESPONSE, then COMPLETE on
 * success).  conn.c owns the connection; this file owns the meaning.
 */
#ifndef OCM_SERVE_H
#define OCM_SERVE_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/core/handoff.h"
#include "daemon/core/server.h"
#include "lib/tcrp.h"

struct member;
struct worker;
struct cluster_join;

/* Who asks: a TLS client here, or one another node took (ssl NULL). */
struct serve_peer {
	SSL *ssl;
	struct peer_ip ip;
	char addr[64];		/* the address as text, for log lines */
	uint16_t udp_port;	/* announced in COMPLETE */
	char udp_host[256];	/* COMPLETE's udp_host: "" but for another node's client */
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

/*
 * A JOIN another node took for a room homed here (the cluster's join
 * hook, set at its start): decided as if it had come in here (the rate
 * limit, the room, the address's limits), then admitted by the room's
 * worker, whose COMPLETE sends the client to udp_host and udp_port; the
 * answer goes to reply_to through cluster_join_answer().
 */
void serve_adopt_join(struct server *srv, const struct cluster_join *j, const char *reply_to,
    const char *udp_host, uint16_t udp_port);

#endif
