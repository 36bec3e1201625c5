/*
 * mailbox.c: the inter-thread queue (see mailbox.h).  The whole queue is
 * taken in one swap under the mutex and run outside it, so a callback may
 * post to any mailbox, its own included, without deadlock.
 */
#include "daemon/base/mailbox.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

void
mailbox_drain(struct mailbox *mb)
{
	uint64_t n;
	struct mail *m;

	if (read(mb->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&mb->lock);
	m = mb->head;
	mb->head = NULL;
	mb->tail = &mb->head;
	pthread_mutex_unlock(&mb->lock);
	while (m != NULL) {
		struct mail *next = m->next;
		m->run(m, mb->owner);
		m = next;
	}
}

static void
mailbox_cb(struct ev_io *io, uint32_t revents)
{
	(void)revents;
	mailbox_drain(container_of(io, struct mailbox, io));
}

int
mailbox_init(struct mailbox *mb, struct ev_loop *loop, void *owner)
{
	mb->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (mb->efd < 0)
		return -errno;
	pthread_mutex_init(&mb->lock, NULL);
	mb->head = NULL;
	mb->tail = &mb->head;
	mb->loop = loop;
	mb->owner = owner;
	int r = ev_io_start(loop, &mb->io, mb->efd, EPOLLIN, mailbox_cb);
	if (r < 0) {
		close(mb->efd);
		mb->efd = -1;
		pthread_mutex_destroy(&mb->lock);
		return r;
	}
	return 0;
}

void
mailbox_fini(struct mailbox *mb)
{
	if (mb->loop == NULL)
		return;
	mailbox_drain(mb);
	ev_io_stop(mb->loop, &mb->io);
	close(mb->efd);
	pthread_mutex_destroy(&mb->lock);
	mb->loop = NULL;
}

void
mailbox_post(struct mailbox *mb, struct mail *m)
{
	static const uint64_t one = 1;

	m->next = NULL;
	pthread_mutex_lock(&mb->lock);
	*mb->tail = m;
	mb->tail = &m->next;
	pthread_mutex_unlock(&mb->lock);
	/* The counter cannot overflow (2^64 - 2 posts); a failed write could
	 * only be EAGAIN at that bound. */
	if (write(mb->efd, &one, sizeof(one)) < 0) {
		/* nothing to do: the owner drains the whole queue anyway */
	}
}

void
latch_init(struct latch *l, unsigned count)
{
	pthread_mutex_init(&l->lock, NULL);
	pthread_cond_init(&l->cond, NULL);
	l->pending = count;
}

void
latch_done(struct latch *l)
{
	pthread_mutex_lock(&l->lock);
	if (--l->pending == 0)
		pthread_cond_signal(&l->cond);
	pthread_mutex_unlock(&l->lock);
}

void
latch_wait(struct latch *l)
{
	pthread_mutex_lock(&l->lock);
	while (l->pending > 0)
		pthread_cond_wait(&l->cond, &l->lock);
	pthread_mutex_unlock(&l->lock);
	pthread_cond_destroy(&l->cond);
	pthread_mutex_destroy(&l->lock);
}
