/*
 * activate.c: adopting the sockets systemd passes (see activate.h).
 */
#include "daemon/node/activate.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "daemon/tcrp/conn.h"
#include "daemon/control/control.h"
#include "daemon/relay/relay.h"
#include "daemon/relay/worker.h"
#include "lib/log.h"

enum sock_kind { KIND_TCP, KIND_UDP, KIND_CONTROL, KIND_OTHER };

static const char *const kind_names[] = {
	[KIND_TCP] = "tcp",
	[KIND_UDP] = "udp",
	[KIND_CONTROL] = "control",
	[KIND_OTHER] = "unknown",
};

static enum sock_kind
sock_kind(int fd)
{
	if (sd_is_socket(fd, AF_UNIX, SOCK_STREAM, 1) > 0)
		return KIND_CONTROL;
	if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) > 0)
		return KIND_TCP;
	if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_DGRAM, -1, 0) > 0)
		return KIND_UDP;
	return KIND_OTHER;
}

/* "127.0.0.1:7600", "[::]:7600" or the Unix path, for logs and status. */
static void
sock_text(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN];

	snprintf(buf, len, "fd %d", fd);
	if (getsockname(fd, (struct sockaddr *)&ss, &sl) < 0)
		return;
	if (ss.ss_family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(s->sin_port));
	} else if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		snprintf(buf, len, "[%s]:%u", ip, ntohs(s->sin6_port));
	} else if (ss.ss_family == AF_UNIX) {
		snprintf(buf, len, "%s", ((struct sockaddr_un *)&ss)->sun_path);
	}
}

static int
adopt(struct server *srv, int fd, enum sock_kind kind, const char *text)
{
	switch (kind) {
	case KIND_TCP:
		return conn_listen_fd(srv, fd, text);
	case KIND_UDP:
		return relay_add_socket(srv->workers[0]->relay, fd, text);
	case KIND_CONTROL:
		if (srv->control != NULL)
			return -1;
		srv->control = control_adopt(srv, fd);
		return srv->control != NULL ? 0 : -1;
	default:
		return -1;
	}
}

int
activate_sockets(struct server *srv, struct activated *a, char *err, size_t err_len)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);
	int rc = 0;

	memset(a, 0, sizeof(*a));
	if (n < 0) {
		snprintf(err, err_len, "socket activation: %s", strerror(-n));
		return -1;
	}
	for (int i = 0; i < n && rc == 0; i++) {
		int fd = SD_LISTEN_FDS_START + i;
		enum sock_kind kind = sock_kind(fd);
		const char *name = names != NULL ? names[i] : NULL;
		char text[128];

		sock_text(fd, text, sizeof(text));
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
		if (name != NULL && strcmp(name, "unknown") != 0 &&
		    strcmp(name, kind_names[kind]) != 0)
			log_warnx("socket activation: %s is named '%s' but is a %s socket, "
			    "using it as %s", text, name, kind_names[kind], kind_names[kind]);
		if (adopt(srv, fd, kind, text) < 0) {
			snprintf(err, err_len, "socket activation: cannot use %s (a %s socket)",
			    text, kind_names[kind]);
			rc = -1;
			break;
		}
		a->tcp += kind == KIND_TCP;
		a->udp += kind == KIND_UDP;
		a->control += kind == KIND_CONTROL;
		log_info("socket activation: %s socket %s", kind_names[kind], text);
	}
	for (int i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}
