/*
 * relay.h: the UDP side of ocmd (doc/protocol.md 8 to 10).  Datagrams come in
 * by recvmmsg batches; each is authenticated (header, token, address
 * binding, replay window, AEAD) before anything else, then dispatched by
 * plaintext Type.  Replies and relayed copies are sealed once per
 * recipient into a send queue that is flushed with sendmmsg when full and
 * before the loop sleeps.
 */
#ifndef OCM_RELAY_H
#define OCM_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/core/registry.h"
#include "daemon/core/server.h"
#include "lib/datagram.h"

struct relay;

/*
 * What a relay works in, given by its worker: the worker's loop, its copy
 * of the configuration (replaced in place on reload), its registry and
 * its counters; and what the relay tells the worker when a room's members
 * change (one leaves, or comes online) or a room goes (on the worker's
 * thread, for the directory and the sizes the main thread reads).
 */
struct relay_host {
	struct ev_loop *loop;
	const struct config *cfg;
	struct registry *reg;
	struct counters *stats;
	unsigned index;			/* the worker's */
	const unsigned *n_workers;	/* how many there are */
	void *owner;
	void (*members_changed)(void *owner, struct room *room);
	void (*room_gone)(void *owner, struct room *room);
};

/* A worker's relay, with no sockets yet; NULL on allocation failure.  The
 * registry's data becomes the relay. */
struct relay *relay_new(const struct relay_host *host);
/* Binds a UDP socket on a (in the address's SO_REUSEPORT group when
 * reuseport).  Returns the socket, or -1 with err set. */
int relay_bind(struct relay *r, const struct listen_addr *a, bool reuseport, char *err,
    size_t err_len);
/* Adopts an already bound UDP socket (socket activation) instead. */
int relay_add_socket(struct relay *r, int fd, const char *text);
/* Datagrams the kernel dropped at the relay's sockets (receive buffer
 * full) since they were made; from any thread (the sockets are bound
 * before the workers start, and stay until relay_free). */
uint64_t relay_socket_drops(const struct relay *r);
/* Has the relay a socket bound to this port (host order)? */
bool relay_has_port(const struct relay *r, uint16_t port);
void relay_free(struct relay *r);

/* A member the registry just made: its token expires after timeout_s
 * unless a datagram uses it. */
void relay_member_added(struct relay *r, struct member *m);
/*
 * Removes a member.  With reason != 0 it first gets CLOSED(reason) and the
 * others NOTICE (LEFT / TIMED_OUT / KICKED as the reason implies); a host
 * leaving closes the whole room instead.  reason 0: silently.
 */
void relay_member_remove(struct relay *r, struct member *m, uint8_t reason);
/* Closes a room: CLOSED(reason) to every member, then frees it. */
void relay_room_close(struct relay *r, struct room *room, uint8_t reason);
/* The same with the CLOSED text given (an administrator's reason); NULL or
 * "" for the default text.  Texts longer than a datagram holds are cut. */
void relay_room_close_text(struct relay *r, struct room *room, uint8_t reason,
    const char *text);
void relay_member_remove_text(struct relay *r, struct member *m, uint8_t reason,
    const char *text);
/* CLOSED(SERVER_SHUTDOWN) to everyone, sent before returning. */
void relay_shutdown(struct relay *r);
/* Sends what is queued (the before-sleep hook calls it). */
void relay_flush(struct relay *r);

#endif
