/*
 * serve.h: answers one decoded TCRP request (PROTOCOL.md 3): the rate
 * limit, validation, the registry's decision, key export, and the bytes
 * to send back (RESPONSE, then COMPLETE on success).  conn.c owns the
 * connection; this file owns the meaning.
 */
#ifndef OCM_SERVE_H
#define OCM_SERVE_H

#include <openssl/ssl.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/server.h"
#include "lib/tcrp.h"

struct serve_peer {
	SSL *ssl;
	struct peer_ip ip;
	char addr[64];		/* the address as text, for log lines */
	uint16_t udp_port;	/* announced in COMPLETE */
};

/*
 * Builds the reply to a complete request in rd (or, when rd holds a decode
 * error, the bad_request RESPONSE).  *out is malloc'ed.  Returns 0, or -1
 * when nothing can be sent (allocation failure): then close silently.
 */
int serve_request(struct server *srv, const struct serve_peer *peer,
    const struct tcrp_reader *rd, uint8_t **out, size_t *out_len);

#endif
