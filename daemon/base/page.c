/*
 * page.c: one page of a list in name order, picked with a bounded
 * max-heap (see page.h).  The root is the greatest name picked so far: an
 * item that does not sort before it costs one comparison, which is what
 * almost every item of a long list costs once the heap is full.
 */
#include "daemon/base/page.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/text.h"

static int
pick_cmp(const struct pick *a, const struct pick *b)
{
	return name_cmp((const uint8_t *)a->name, a->len, (const uint8_t *)b->name, b->len);
}

static void
pick_swap(struct pick *a, struct pick *b)
{
	struct pick t = *a;

	*a = *b;
	*b = t;
}

/* Restores the max-heap h[0..n) below i. */
static void
heap_down(struct pick *h, size_t n, size_t i)
{
	for (;;) {
		size_t top = i, l = 2 * i + 1, r = l + 1;
		if (l < n && pick_cmp(&h[l], &h[top]) > 0)
			top = l;
		if (r < n && pick_cmp(&h[r], &h[top]) > 0)
			top = r;
		if (top == i)
			return;
		pick_swap(&h[i], &h[top]);
		i = top;
	}
}

static void
heap_up(struct pick *h, size_t i)
{
	while (i > 0 && pick_cmp(&h[i], &h[(i - 1) / 2]) > 0) {
		pick_swap(&h[i], &h[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
}

int
page_init(struct page *p, size_t limit, const char *after)
{
	memset(p, 0, sizeof(*p));
	p->limit = limit;
	if (after != NULL && after[0] != '\0') {
		p->after = after;
		p->after_len = strlen(after);
	}
	/* + 1: never calloc(0), whose NULL would read as out of memory. */
	p->heap = calloc(limit + 1, sizeof(*p->heap));
	return p->heap != NULL ? 0 : -1;
}

void
page_offer(struct page *p, const char *name, size_t len, const void *item)
{
	struct pick k = { name, len, item };

	if (p->after != NULL && name_cmp((const uint8_t *)name, len,
	    (const uint8_t *)p->after, p->after_len) <= 0)
		return;
	p->seen++;
	if (p->n < p->limit) {
		p->heap[p->n] = k;
		heap_up(p->heap, p->n++);
	} else if (p->n > 0 && pick_cmp(&k, &p->heap[0]) < 0) {
		p->heap[0] = k;
		heap_down(p->heap, p->n, 0);
	}
}

/* The heap's own heapsort: the greatest goes last, the heap shrinks. */
bool
page_sort(struct page *p)
{
	for (size_t n = p->n; n > 1; n--) {
		pick_swap(&p->heap[0], &p->heap[n - 1]);
		heap_down(p->heap, n - 1, 0);
	}
	return p->seen > p->n;
}
