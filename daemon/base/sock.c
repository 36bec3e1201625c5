/*
 * sock.c: small facts about sockets (see sock.h).
 */
#include "daemon/base/sock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

uint16_t
socket_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return 0;
	if (ss.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
	if (ss.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&ss)->sin_port);
	return 0;
}
