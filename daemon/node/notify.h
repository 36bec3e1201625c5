/*
 * notify.h: the systemd notification protocol (sd_notify), wrapped so that
 * the rest of ocmd says what happened and this file says it to systemd.
 * Every call is a no-op when NOTIFY_SOCKET is not set.
 */
#ifndef OCM_NOTIFY_H
#define OCM_NOTIFY_H

#include "daemon/core/server.h"

/* Arms the STATUS= refresh and, when WATCHDOG_USEC asks, the watchdog. */
void notify_start(struct server *srv);
void notify_stop(struct server *srv);
void notify_ready(struct server *srv);
void notify_reloading(void);
void notify_stopping(void);
/* STATUS= with rooms, members and the message rate since the last one. */
void notify_status(struct server *srv);

#endif
