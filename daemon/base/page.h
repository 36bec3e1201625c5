/*
 * page.h: one page of a long list in name order, picked from items
 * offered in any order (the directory's hash, a room's member list): the
 * first `limit` names after `after`, in name_cmp() order, the order
 * LIST_ROOMS pages by (doc/protocol.md 5.5) and the control socket's lists
 * too (lib/ctl.h).  A max-heap of `limit` picks keeps the smallest names
 * seen so far, so a page costs O(n log limit) for n items and memory for
 * the page alone, however long the list.
 */
#ifndef OCM_PAGE_H
#define OCM_PAGE_H

#include <stdbool.h>
#include <stddef.h>

struct pick {
	const char *name;	/* the item's own: it must outlive the page */
	size_t len;
	const void *item;
};

struct page {
	struct pick *heap;	/* free() when done */
	size_t n, limit;
	size_t seen;		/* items after `after`, picked or not */
	const char *after;	/* NULL: from the first name */
	size_t after_len;
};

/* At most limit picks (0 picks none) after `after` (NULL or "": from the
 * first).  Returns 0, or -1 when out of memory. */
int page_init(struct page *p, size_t limit, const char *after);
/* Offers one item under its name. */
void page_offer(struct page *p, const char *name, size_t len, const void *item);
/* Sorts the picks, heap[0..n) by name; returns whether items after `after`
 * were left out (names follow the page). */
bool page_sort(struct page *p);

#endif
