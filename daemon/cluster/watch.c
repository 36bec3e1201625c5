/*
 * cluster/watch.c: the watch threads, one per bucket (ocm_rooms,
 * ocm_nodes): every change of the bucket becomes an event for the main
 * thread.
 */
#include "daemon/cluster/internal.h"

#include <errno.h>
#include <inttypes.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"

/* The watch thread. */

static void
watch_entry(struct cluster *c, enum event_kind kind, kvEntry *e)
{
	kvOperation op = kvEntry_Operation(e);
	const char *key = kvEntry_Key(e);
	struct event *ev;

	if (strlen(key) >= CLUSTER_KEY_MAX)
		return;
	ev = op == kvOp_Put ? cluster_event_new(kind, kvEntry_Value(e), (size_t)kvEntry_ValueLen(e)) :
	    cluster_event_new(kind, NULL, 0);
	if (ev == NULL)
		return;
	ev->deleted = op != kvOp_Put;
	strcpy(ev->key, key);
	cluster_event_post(c, ev);
}

/* One turn of one watcher: -1 when it failed and must start over. */
static int
watch_poll(struct cluster *c, kvWatcher *w, enum event_kind kind, bool *synced)
{
	kvEntry *e = NULL;
	natsStatus s = kvWatcher_Next(&e, w, WATCH_POLL_MS);

	if (s == NATS_TIMEOUT)
		return 0;
	if (s != NATS_OK)
		return -1;
	if (e == NULL) {
		if (!*synced && kind == EV_ROOM)
			cluster_event_simple(c, EV_SYNCED);
		*synced = true;
		return 0;
	}
	watch_entry(c, kind, e);
	kvEntry_Destroy(e);
	return 0;
}

static void
watch_drop(kvWatcher **w)
{
	if (*w != NULL) {
		kvWatcher_Stop(*w);
		kvWatcher_Destroy(*w);
		*w = NULL;
	}
}

/*
 * One thread per bucket, each blocked on its own watcher, so that a burst
 * of rooms is passed on as fast as NATS delivers it.  The watchers are
 * kept across reconnections: nats.c's ordered consumers take up where
 * they were.  (Stopping one while the library resets it after a
 * reconnection is a use-after-free in libnats 3.4, caught by
 * AddressSanitizer.)
 */
void *
cluster_watch_main(void *arg)
{
	struct watch *wt = arg;
	struct cluster *c = wt->c;
	kvWatcher *w = NULL;
	bool synced = false;

	while (!atomic_load(&c->stop)) {
		if (!cluster_connected(c)) {
			usleep(WATCH_POLL_MS * 1000);
			continue;
		}
		if (w == NULL) {
			if (kvStore_WatchAll(&w, wt->kind == EV_ROOM ? c->rooms : c->nodes, NULL) !=
			    NATS_OK) {
				w = NULL;
				usleep(RECONNECT_WAIT_MS * 1000);
				continue;
			}
			synced = false;
			if (wt->kind == EV_ROOM)
				cluster_event_simple(c, EV_RESYNC);
		}
		if (watch_poll(c, w, wt->kind, &synced) < 0) {
			watch_drop(&w);
			usleep(RECONNECT_WAIT_MS * 1000);
		}
	}
	watch_drop(&w);
	return NULL;
}
