/*
 * notify.h: the systemd notification protocol (sd_notify), wrapped so that
 * the rest of ocmd says what happened and this file says it to systemd.
 * Every call is a no-op when NOTIFY_SOCKET is not set.
 */
#ifndef OCM_NOTIFY_H
#define OCM_NOTIFY_H

#include "daemon/server.h"

void notify_ready(const struct server *srv);
void notify_reloading(void);
void notify_stopping(void);
/* STATUS= with rooms and members. */
void notify_status(const struct server *srv);

#endif
