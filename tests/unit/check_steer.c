/*
 * check_steer.c: the reuseport steering program, run by the kernel on
 * real loopback sockets: a group of four, datagrams whose tokens name
 * each worker from many source ports all reach that worker's socket;
 * tokens naming no worker, and datagrams too short to hold a token, are
 * delivered somewhere (the kernel's hash) and never lost.  Also the token
 * marking and reading on their own.
 */
#include <arpa/inet.h>
#include <check.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "daemon/relay/steer.h"
#include "lib/token.h"
#include "tests/unit/util.h"

#define GROUP	4

START_TEST(mark_and_read)
{
	char token[OCM_TOKEN_LEN + 1];

	for (unsigned w = 0; w < 256; w++) {
		ck_assert_int_eq(token_generate(token), 0);
		steer_token_mark(token, w);
		ck_assert(token_valid((const uint8_t *)token, OCM_TOKEN_LEN));
		ck_assert_int_eq(steer_token_worker((const uint8_t *)token), (int)w);
	}
	ck_assert_int_eq(steer_token_worker((const uint8_t *)"0A"), -1);
	ck_assert_int_eq(steer_token_worker((const uint8_t *)"g0"), -1);
	ck_assert_int_eq(steer_token_worker((const uint8_t *)"ff"), 255);
}
END_TEST

struct group {
	int fd[GROUP];
	struct sockaddr_in addr;
};

/* Four sockets on one loopback port, in group order, the program on the
 * first.  Returns 0, or -errno when the kernel refuses (then skip). */
static int
group_open(struct group *g)
{
	socklen_t len = sizeof(g->addr);
	int one = 1;

	memset(&g->addr, 0, sizeof(g->addr));
	g->addr.sin_family = AF_INET;
	g->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (int i = 0; i < GROUP; i++) {
		g->fd[i] = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		ck_assert_int_ge(g->fd[i], 0);
		ck_assert_int_eq(setsockopt(g->fd[i], SOL_SOCKET, SO_REUSEPORT, &one,
		    sizeof(one)), 0);
		ck_assert_int_eq(bind(g->fd[i], (struct sockaddr *)&g->addr, sizeof(g->addr)), 0);
		if (i == 0)
			ck_assert_int_eq(getsockname(g->fd[0], (struct sockaddr *)&g->addr, &len), 0);
	}
	return steer_attach(g->fd[0]);
}

static void
group_close(struct group *g)
{
	for (int i = 0; i < GROUP; i++)
		close(g->fd[i]);
}

/* Sends buf from a fresh source port; returns the index of the socket it
 * reached (waiting at most a second), or -1. */
static int
deliver(const struct group *g, const uint8_t *buf, size_t len)
{
	struct pollfd pf[GROUP];
	uint8_t in[64];
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(s, 0);
	ck_assert_int_eq(sendto(s, buf, len, 0, (const struct sockaddr *)&g->addr,
	    sizeof(g->addr)), (ssize_t)len);
	close(s);
	for (int i = 0; i < GROUP; i++)
		pf[i] = (struct pollfd){ .fd = g->fd[i], .events = POLLIN };
	if (poll(pf, GROUP, 1000) <= 0)
		return -1;
	for (int i = 0; i < GROUP; i++)
		if (recv(g->fd[i], in, sizeof(in), 0) >= 0)
			return i;
	return -1;
}

/* A datagram header: R, T, room, then the token (doc/protocol.md 8). */
static size_t
datagram(uint8_t *buf, const char *room, unsigned worker)
{
	char token[OCM_TOKEN_LEN + 1];
	size_t r = strlen(room);

	ck_assert_int_eq(token_generate(token), 0);
	steer_token_mark(token, worker);
	buf[0] = (uint8_t)r;
	buf[1] = OCM_TOKEN_LEN;
	memcpy(buf + 2, room, r);
	memcpy(buf + 2 + r, token, OCM_TOKEN_LEN);
	memset(buf + 2 + r + OCM_TOKEN_LEN, 0, 8);
	return 2 + r + OCM_TOKEN_LEN + 8;
}

START_TEST(each_token_reaches_its_worker)
{
	static const char *const rooms[] = { "a", "lobby", "a room with a longer name" };
	struct group g;
	uint8_t buf[128];

	/* A kernel without reuseport BPF (before 4.5) fails here; ocmd would
	 * run 1 worker there. */
	ck_assert_int_eq(group_open(&g), 0);
	for (unsigned w = 0; w < GROUP; w++)
		for (int i = 0; i < 12; i++) {
			size_t n = datagram(buf, rooms[i % 3], w);
			ck_assert_int_eq(deliver(&g, buf, n), (int)w);
		}
	group_close(&g);
}
END_TEST

/* Junk still arrives somewhere: the workers count and drop it. */
START_TEST(junk_is_delivered_not_lost)
{
	static const uint8_t short_ones[][4] = { { 0 }, { 5, 32 }, { 1, 32, 'a' } };
	struct group g;
	uint8_t buf[128];

	ck_assert_int_eq(group_open(&g), 0);
	for (size_t i = 0; i < 3; i++)
		ck_assert_int_ge(deliver(&g, short_ones[i], i + 1), 0);
	size_t n = datagram(buf, "lobby", 200);		/* no such worker */
	ck_assert_int_ge(deliver(&g, buf, n), 0);
	n = datagram(buf, "lobby", 1);
	buf[2 + 5] = 'X';				/* not hex */
	ck_assert_int_ge(deliver(&g, buf, n), 0);
	group_close(&g);
}
END_TEST

static Suite *
steer_suite(void)
{
	Suite *s = suite_create("steer");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, mark_and_read);
	tcase_add_test(tc, each_token_reaches_its_worker);
	tcase_add_test(tc, junk_is_delivered_not_lost);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(steer_suite)
