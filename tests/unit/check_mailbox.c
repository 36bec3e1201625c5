/*
 * check_mailbox.c: the queue between ocmd's threads: messages posted by
 * other threads run on the owner's loop, each exactly once and in the
 * order each poster posted them; a message may post to its own mailbox;
 * a latch waits for every callee; mailbox_fini runs what is left.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>

#include "daemon/base/mailbox.h"
#include "tests/unit/util.h"

#define POSTERS		4
#define PER_POSTER	2000

struct note {
	struct mail mail;
	int poster, seq;
};

struct owner {
	int next[POSTERS];	/* the seq each poster's next message must have */
	int ran, out_of_order;
	int echoes;
	struct mailbox *mb;
};

static void
note_run(struct mail *m, void *arg)
{
	struct note *n = container_of(m, struct note, mail);
	struct owner *o = arg;

	if (n->seq != o->next[n->poster])
		o->out_of_order++;
	o->next[n->poster] = n->seq + 1;
	o->ran++;
	free(n);
}

struct poster {
	struct mailbox *mb;
	int id;
};

static void *
poster_main(void *arg)
{
	struct poster *p = arg;

	for (int i = 0; i < PER_POSTER; i++) {
		struct note *n = calloc(1, sizeof(*n));
		n->mail.run = note_run;
		n->poster = p->id;
		n->seq = i;
		mailbox_post(p->mb, &n->mail);
	}
	return NULL;
}

START_TEST(posts_from_threads_run_once_in_order)
{
	struct ev_loop *loop = ev_loop_new();
	struct mailbox mb;
	struct owner o = { .mb = &mb };
	pthread_t t[POSTERS];
	struct poster p[POSTERS];

	ck_assert_ptr_nonnull(loop);
	ck_assert_int_eq(mailbox_init(&mb, loop, &o), 0);
	for (int i = 0; i < POSTERS; i++) {
		p[i] = (struct poster){ .mb = &mb, .id = i };
		ck_assert_int_eq(pthread_create(&t[i], NULL, poster_main, &p[i]), 0);
	}
	/* Bounded: 10 s at most. */
	uint64_t end = ev_now_update(loop) + 10000;
	while (o.ran < POSTERS * PER_POSTER && ev_now_update(loop) < end)
		ev_run_once(loop, 10);
	for (int i = 0; i < POSTERS; i++)
		pthread_join(t[i], NULL);
	ck_assert_int_eq(o.ran, POSTERS * PER_POSTER);
	ck_assert_int_eq(o.out_of_order, 0);
	mailbox_fini(&mb);
	ev_loop_free(loop);
}
END_TEST

static void
echo_run(struct mail *m, void *arg)
{
	struct owner *o = arg;

	/* Posting to the mailbox being drained must not deadlock; the new
	 * message runs on a later pass. */
	if (++o->echoes < 3)
		mailbox_post(o->mb, m);
	else
		free(m);
}

START_TEST(a_message_may_post_to_its_own_mailbox)
{
	struct ev_loop *loop = ev_loop_new();
	struct mailbox mb;
	struct owner o = { .mb = &mb };
	struct mail *m = calloc(1, sizeof(*m));

	ck_assert_int_eq(mailbox_init(&mb, loop, &o), 0);
	m->run = echo_run;
	mailbox_post(&mb, m);
	for (int pass = 0; pass < 100 && o.echoes < 3; pass++)
		ev_run_once(loop, 10);
	ck_assert_int_eq(o.echoes, 3);
	mailbox_fini(&mb);
	ev_loop_free(loop);
}
END_TEST

START_TEST(fini_runs_what_is_left)
{
	struct ev_loop *loop = ev_loop_new();
	struct mailbox mb;
	struct owner o = { .mb = &mb };

	ck_assert_int_eq(mailbox_init(&mb, loop, &o), 0);
	for (int i = 0; i < 5; i++) {
		struct note *n = calloc(1, sizeof(*n));
		n->mail.run = note_run;
		n->seq = i;
		mailbox_post(&mb, &n->mail);
	}
	mailbox_fini(&mb);
	ck_assert_int_eq(o.ran, 5);
	mailbox_fini(&mb);	/* twice is harmless */
	ev_loop_free(loop);
}
END_TEST

struct latch_job {
	struct latch *latch;
	int *done;
};

static void *
latch_worker(void *arg)
{
	struct latch_job *j = arg;

	*j->done = 1;
	latch_done(j->latch);
	return NULL;
}

START_TEST(latch_waits_for_every_callee)
{
	struct latch latch;
	pthread_t t[POSTERS];
	struct latch_job j[POSTERS];
	int done[POSTERS] = { 0 };

	latch_init(&latch, POSTERS);
	for (int i = 0; i < POSTERS; i++) {
		j[i] = (struct latch_job){ .latch = &latch, .done = &done[i] };
		ck_assert_int_eq(pthread_create(&t[i], NULL, latch_worker, &j[i]), 0);
	}
	latch_wait(&latch);
	for (int i = 0; i < POSTERS; i++)
		ck_assert_int_eq(done[i], 1);
	for (int i = 0; i < POSTERS; i++)
		pthread_join(t[i], NULL);
}
END_TEST

static Suite *
mailbox_suite(void)
{
	Suite *s = suite_create("mailbox");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, posts_from_threads_run_once_in_order);
	tcase_add_test(tc, a_message_may_post_to_its_own_mailbox);
	tcase_add_test(tc, fini_runs_what_is_left);
	tcase_add_test(tc, latch_waits_for_every_callee);
	suite_add_tcase(s, tc);
	return s;
}

TEST_MAIN(mailbox_suite)
