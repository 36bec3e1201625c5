/*
 * check_room.c: client/room.c, the room session that ocm-client and
 * ocm-gtk drive from their own loops, against a fake server: a UDP socket
 * on loopback holding the other half of the keys.  The test is the loop
 * here: it calls room_receive() and room_timers() as a front end would and
 * checks the datagrams sent and the events delivered.
 */
#include <check.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "client/room.h"
#include "lib/aead.h"
#include "lib/datagram.h"

#define ROOM		"lobby"
#define USER		"alice"
#define TOKEN		"00112233445566778899aabbccddeeff"
#define WAIT_MS		3000	/* the longest any one step may take */

struct fake {
	int fd;				/* the server's socket */
	struct sockaddr_in client;	/* where the room's datagrams came from */
	struct aead *open, *seal;
	uint64_t counter;
	struct room r;
	/* What the events said. */
	int online, chats, notices, members, closed, lost;
	char last[512];
	size_t n_members;
	bool host0;
	uint8_t reason;
};

static void
ev_online(void *arg)
{
	((struct fake *)arg)->online++;
}

static void
ev_chat(void *arg, const char *from, const char *text)
{
	struct fake *f = arg;

	f->chats++;
	snprintf(f->last, sizeof(f->last), "%s: %s", from, text);
}

static void
ev_notice(void *arg, uint8_t code, const char *name, const char *text)
{
	struct fake *f = arg;

	f->notices++;
	snprintf(f->last, sizeof(f->last), "%u %s %s", code, name, text);
}

static void
ev_members(void *arg, const struct room_member *m, size_t n)
{
	struct fake *f = arg;

	f->members++;
	f->n_members = n;
	f->host0 = n > 0 && m[0].host;
	f->last[0] = '\0';
	for (size_t i = 0; i < n; i++)
		snprintf(f->last + strlen(f->last), sizeof(f->last) - strlen(f->last), "%s%s",
		    i > 0 ? "," : "", m[i].name);
}

static void
ev_closed(void *arg, uint8_t reason, const char *text)
{
	struct fake *f = arg;

	f->closed++;
	f->reason = reason;
	snprintf(f->last, sizeof(f->last), "%s", text);
}

static void
ev_lost(void *arg, uint32_t timeout_s)
{
	struct fake *f = arg;

	f->lost++;
	snprintf(f->last, sizeof(f->last), "%u", timeout_s);
}

static const struct room_ops ops = {
	.online = ev_online, .chat = ev_chat, .notice = ev_notice,
	.members = ev_members, .closed = ev_closed, .lost = ev_lost,
};

static void
fake_open(struct fake *f, uint32_t keepalive_s, uint32_t timeout_s)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	struct tcrp_request req;
	struct tcrp_result res;
	struct server_opts o = { .host = "127.0.0.1" };
	char err[CLIENT_ERR_MAX];

	memset(f, 0, sizeof(*f));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(f->fd, 0);
	ck_assert_int_eq(bind(f->fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(f->fd, (struct sockaddr *)&sa, &sl), 0);

	memset(&req, 0, sizeof(req));
	memset(&res, 0, sizeof(res));
	strcpy(req.room, ROOM);
	req.room_len = (uint8_t)strlen(ROOM);
	strcpy(req.user, USER);
	req.user_len = (uint8_t)strlen(USER);
	strcpy(res.session.token, TOKEN);
	strcpy(res.session.udp_host, "127.0.0.1");
	res.session.udp_port = ntohs(sa.sin_port);
	res.session.keepalive_s = keepalive_s;
	res.session.timeout_s = timeout_s;
	res.session.max_datagram = 1200;
	for (int i = 0; i < OCM_KEY_LEN; i++) {
		res.keys.c2s[i] = (uint8_t)i;
		res.keys.s2c[i] = (uint8_t)(0xff - i);
	}
	f->open = aead_new(res.keys.c2s, AEAD_OPEN);
	f->seal = aead_new(res.keys.s2c, AEAD_SEAL);
	ck_assert_int_eq(room_open(&f->r, &o, &req, &res, err), 0);
	room_start(&f->r, &ops, f);
}

static void
fake_close(struct fake *f)
{
	room_close(&f->r);
	aead_free(f->open);
	aead_free(f->seal);
	close(f->fd);
}

/* The next plaintext type the room sent, or -1 when none came in ms. */
static int
fake_recv(struct fake *f, int ms)
{
	struct pollfd p = { .fd = f->fd, .events = POLLIN };
	uint8_t buf[OCM_MAX_DATAGRAM], *pt;
	size_t pt_len;
	struct dgram_header h;
	socklen_t sl = sizeof(f->client);

	if (poll(&p, 1, ms) != 1)
		return -1;
	ssize_t n = recvfrom(f->fd, buf, sizeof(buf), 0, (struct sockaddr *)&f->client, &sl);
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(dgram_parse_header(buf, (size_t)n, &h), 0);
	ck_assert_int_eq(dgram_open(f->open, &h, buf, (size_t)n, &pt, &pt_len), 0);
	return pt[0];
}

static void
fake_send(struct fake *f, const uint8_t *pt, long len)
{
	uint8_t buf[OCM_MAX_DATAGRAM];

	ck_assert_int_gt(len, 0);
	long n = dgram_seal(f->seal, (const uint8_t *)ROOM, strlen(ROOM),
	    (const uint8_t *)TOKEN, f->counter++, pt, (size_t)len, buf, sizeof(buf));
	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(sendto(f->fd, buf, (size_t)n, 0, (struct sockaddr *)&f->client,
	    sizeof(f->client)), n);
}

/* The front end's loop, for at most ms: wait on the socket and the timer. */
static void
fake_loop(struct fake *f, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int next = room_timers(&f->r);
		if (f->r.state != ROOM_RUNNING)
			return;
		clock_gettime(CLOCK_MONOTONIC, &t);
		int spent = (int)((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (spent >= ms)
			return;
		struct pollfd p = { .fd = room_fd(&f->r), .events = POLLIN };
		if (poll(&p, 1, next < ms - spent ? next : ms - spent) == 1)
			room_receive(&f->r);
	}
}

START_TEST(test_online_and_events)
{
	struct fake f;
	uint8_t pt[OCM_MAX_DATAGRAM];

	fake_open(&f, 10, 30);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	ck_assert_int_eq(f.online, 0);
	fake_send(&f, pt, msg_encode_pong(NULL, pt, sizeof(pt)));
	fake_loop(&f, 100);
	ck_assert_int_eq(f.online, 1);

	/* Control characters from the server arrive as '?'. */
	fake_send(&f, pt, msg_encode_s_chat((const uint8_t *)"bob", 3,
	    (const uint8_t *)"hi\033[2J\tthere", 12, pt, sizeof(pt)));
	fake_loop(&f, 100);
	ck_assert_int_eq(f.chats, 1);
	ck_assert_str_eq(f.last, "bob: hi?[2J\tthere");

	fake_send(&f, pt, msg_encode_notice(NOTICE_JOINED, (const uint8_t *)"carol", 5, NULL,
	    0, pt, sizeof(pt)));
	fake_send(&f, pt, msg_encode_notice(0x77, (const uint8_t *)"x", 1, NULL, 0, pt,
	    sizeof(pt)));	/* from a later version: not shown */
	fake_loop(&f, 100);
	ck_assert_int_eq(f.notices, 1);
	ck_assert_str_eq(f.last, "1 carol ");
	ck_assert_int_eq(f.online, 1);
	fake_close(&f);
}
END_TEST

START_TEST(test_members_gathered)
{
	struct fake f;
	uint8_t pt[OCM_MAX_DATAGRAM];
	long n;

	fake_open(&f, 10, 30);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	room_who(&f.r);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_WHO);
	n = msg_members_begin(MEMBERS_FLAG_MORE, pt, sizeof(pt));
	n = msg_members_add(pt, (size_t)n, sizeof(pt), MEMBERS_ENTRY_HOST,
	    (const uint8_t *)"alice", 5);
	fake_send(&f, pt, n);
	fake_loop(&f, 100);
	ck_assert_int_eq(f.members, 0);		/* MORE: not yet */
	n = msg_members_begin(0, pt, sizeof(pt));
	n = msg_members_add(pt, (size_t)n, sizeof(pt), 0, (const uint8_t *)"bob", 3);
	fake_send(&f, pt, n);
	fake_loop(&f, 100);
	ck_assert_int_eq(f.members, 1);
	ck_assert_uint_eq(f.n_members, 2);
	ck_assert(f.host0);
	ck_assert_str_eq(f.last, "alice,bob");
	fake_close(&f);
}
END_TEST

START_TEST(test_closed_ends_it)
{
	struct fake f;
	uint8_t pt[OCM_MAX_DATAGRAM];

	fake_open(&f, 10, 30);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	fake_send(&f, pt, msg_encode_closed(CLOSED_ROOM_KILLED, (const uint8_t *)"bye", 3,
	    pt, sizeof(pt)));
	fake_send(&f, pt, msg_encode_s_chat((const uint8_t *)"bob", 3,
	    (const uint8_t *)"late", 4, pt, sizeof(pt)));
	fake_loop(&f, 200);
	ck_assert_int_eq(f.r.state, ROOM_CLOSED);
	ck_assert_int_eq(f.closed, 1);
	ck_assert_int_eq(f.reason, CLOSED_ROOM_KILLED);
	ck_assert_str_eq(f.last, "bye");
	room_receive(&f.r);
	ck_assert_int_eq(f.chats, 0);		/* nothing after CLOSED */
	fake_close(&f);
}
END_TEST

/* PING again each second until an answer; a silent server is lost. */
START_TEST(test_lost_and_retries)
{
	struct fake f;

	fake_open(&f, 10, 2);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	fake_loop(&f, ROOM_PING_RETRY_MS + 200);
	ck_assert_int_eq(fake_recv(&f, 0), MSG_C_PING);
	fake_loop(&f, WAIT_MS);
	ck_assert_int_eq(f.r.state, ROOM_LOST);
	ck_assert_int_eq(f.lost, 1);
	ck_assert_str_eq(f.last, "2");
	fake_close(&f);
}
END_TEST

/* LEAVE is repeated, and the room is left even if CLOSED(LEFT) is lost. */
START_TEST(test_leave_unanswered)
{
	struct fake f;
	char err[CLIENT_ERR_MAX];

	fake_open(&f, 10, 30);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	room_leave(&f.r);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_LEAVE);
	ck_assert_int_eq(room_say(&f.r, "late", 4, err), -1);
	fake_loop(&f, WAIT_MS);
	ck_assert_int_eq(f.r.state, ROOM_LEFT);
	ck_assert_int_eq(fake_recv(&f, 0), MSG_C_LEAVE);
	ck_assert_int_eq(f.closed, 0);
	fake_close(&f);
}
END_TEST

START_TEST(test_say_checks)
{
	struct fake f;
	char err[CLIENT_ERR_MAX], big[2000];

	fake_open(&f, 10, 30);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_PING);
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(room_say(&f.r, big, f.r.u.max_text + 1, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "bytes long, and at most"));
	ck_assert_int_eq(room_say(&f.r, "a\033b", 3, err), -1);
	ck_assert_ptr_nonnull(strstr(err, "control characters"));
	ck_assert_int_eq(fake_recv(&f, 100), -1);	/* neither was sent */
	ck_assert_int_eq(room_say(&f.r, big, f.r.u.max_text, err), 0);
	ck_assert_int_eq(fake_recv(&f, WAIT_MS), MSG_C_CHAT);
	fake_close(&f);
}
END_TEST

static Suite *
room_suite(void)
{
	Suite *s = suite_create("room");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_online_and_events);
	tcase_add_test(tc, test_members_gathered);
	tcase_add_test(tc, test_closed_ends_it);
	tcase_add_test(tc, test_lost_and_retries);
	tcase_add_test(tc, test_leave_unanswered);
	tcase_add_test(tc, test_say_checks);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(room_suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
