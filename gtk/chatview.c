/*
 * chatview.c: the chat page of ocm-gtk.  The GLib main loop drives the
 * room session of libocmclient (client/room.c): g_unix_fd_add() watches
 * its UDP socket, and one g_timeout_add() is armed for the delay
 * room_timers() asks for (keepalive, lost server, LEAVE retries).  Room
 * events become rows of labels, set as plain text (never markup): chat
 * lines with time and sender, notices set apart, and the member list,
 * asked for again (WHO) whenever someone comes or goes.
 */
#include <glib-unix.h>
#include <string.h>

#include "gtk/ocm-gtk.h"

#define LINES_MAX	5000	/* the oldest lines go beyond this */

enum line_kind {
	LINE_CHAT,
	LINE_OWN,
	LINE_NOTICE,
	LINE_ERROR,
};

struct chat_page {
	struct app *app;
	GtkWidget *root;
	GtkLabel *title;
	GtkListBox *lines;
	GtkScrolledWindow *scroll;
	GtkListBox *members;
	GtkEntry *input;
	GtkLabel *left;
	GtkWidget *send, *leave;
	struct room *room;		/* NULL between sessions */
	guint io, timer;
	unsigned n_lines;
	char *end;			/* what the connect page will say */
	char name[OCM_NAME_MAX + 1], user[OCM_NAME_MAX + 1];
};

static const char *const line_class[] = {
	[LINE_CHAT] = "chat",
	[LINE_OWN] = "own",
	[LINE_NOTICE] = "notice",
	[LINE_ERROR] = "field-error",
};

static void chat_after(struct chat_page *p);

/* ---- Lines -------------------------------------------------------------- */

static gboolean
scroll_down(gpointer data)
{
	struct chat_page *p = data;
	GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment(p->scroll);

	gtk_adjustment_set_value(adj, gtk_adjustment_get_upper(adj));
	return G_SOURCE_REMOVE;
}

/* text is made of our words and isolated peer pieces. */
static void
line_add(struct chat_page *p, enum line_kind kind, const char *text)
{
	GDateTime *now = g_date_time_new_now_local();
	char *stamp = g_date_time_format(now, "%H:%M:%S");
	char *s = g_strdup_printf("%s  %s", stamp, text);
	GtkWidget *l = gtk_label_new(s);

	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_wrap(GTK_LABEL(l), true);
	gtk_label_set_wrap_mode(GTK_LABEL(l), PANGO_WRAP_WORD_CHAR);
	gtk_widget_add_css_class(l, line_class[kind]);
	gtk_list_box_append(p->lines, l);
	if (++p->n_lines > LINES_MAX) {
		gtk_list_box_remove(p->lines, gtk_widget_get_first_child(GTK_WIDGET(p->lines)));
		p->n_lines--;
	}
	g_idle_add(scroll_down, p);
	g_free(s);
	g_free(stamp);
	g_date_time_unref(now);
}

static void
line_chat(struct chat_page *p, enum line_kind kind, const char *from, const char *text)
{
	char *f = text_isolated(from), *t = text_isolated(text);
	char *s = g_strdup_printf("%s: %s", f, t);

	line_add(p, kind, s);
	g_free(s);
	g_free(t);
	g_free(f);
}

/* "— " before, the peer's name or text, then after. */
static void
line_notice(struct chat_page *p, const char *before, const char *peer, const char *after)
{
	char *iso = text_isolated(peer);
	char *s = g_strconcat("— ", before, iso, after, NULL);

	line_add(p, LINE_NOTICE, s);
	g_free(s);
	g_free(iso);
}

/* ---- Room events -------------------------------------------------------- */

static void
ev_online(void *arg)
{
	struct chat_page *p = arg;
	char *room = text_isolated(p->name), *user = text_isolated(p->user);
	char *s = g_strdup_printf("— you are in room %s as %s", room, user);

	line_add(p, LINE_NOTICE, s);
	g_free(s);
	g_free(user);
	g_free(room);
	room_who(p->room);
}

static void
ev_chat(void *arg, const char *from, const char *text)
{
	line_chat(arg, LINE_CHAT, from, text);
}

static const struct {
	const char *before, *after;
} notice_forms[256] = {
	[NOTICE_JOINED] = { "", " joined" },
	[NOTICE_LEFT] = { "", " left" },
	[NOTICE_TIMED_OUT] = { "", " timed out" },
	[NOTICE_KICKED] = { "", " was kicked" },
	[NOTICE_REJECTED] = { "not relayed: ", "" },
};

static void
ev_notice(void *arg, uint8_t code, const char *name, const char *text)
{
	struct chat_page *p = arg;

	if (notice_forms[code].before == NULL)
		return;
	if (code == NOTICE_REJECTED) {
		line_notice(p, notice_forms[code].before, text[0] != '\0' ? text :
		    "no reason given", notice_forms[code].after);
		return;
	}
	line_notice(p, notice_forms[code].before, name, notice_forms[code].after);
	room_who(p->room);
}

static void
ev_members(void *arg, const struct room_member *m, size_t n)
{
	struct chat_page *p = arg;
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(p->members))) != NULL)
		gtk_list_box_remove(p->members, child);
	for (size_t i = 0; i < n; i++) {
		char *name = text_for_label(m[i].name);
		bool me = strcmp(m[i].name, p->user) == 0;
		char *s = g_strdup_printf("%s%s%s", name, m[i].host ? " (host)" : "",
		    me ? " (you)" : "");
		GtkWidget *l = gtk_label_new(s);
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_label_set_ellipsize(GTK_LABEL(l), PANGO_ELLIPSIZE_END);
		gtk_list_box_append(p->members, l);
		g_free(s);
		g_free(name);
	}
}

static void
ev_closed(void *arg, uint8_t reason, const char *text)
{
	struct chat_page *p = arg;
	char lower[32];
	char *room = text_isolated(p->name), *why = text_isolated(text);

	room_reason_name(reason, lower);
	g_free(p->end);
	if (reason == CLOSED_LEFT)
		p->end = g_strdup_printf("You left room %s.", room);
	else
		p->end = g_strdup_printf("Room %s was closed (%s): %s", room, lower, why);
	g_free(why);
	g_free(room);
}

static void
ev_lost(void *arg, uint32_t timeout_s)
{
	struct chat_page *p = arg;
	char *room = text_isolated(p->name);

	g_free(p->end);
	p->end = g_strdup_printf("Lost contact with the server: nothing heard from it for %u s, "
	    "so you are no longer in room %s.", timeout_s, room);
	line_add(p, LINE_ERROR, p->end);
	g_free(room);
}

static const struct room_ops gtk_room_ops = {
	.online = ev_online,
	.chat = ev_chat,
	.notice = ev_notice,
	.members = ev_members,
	.closed = ev_closed,
	.lost = ev_lost,
};

/* ---- The loop's sources ------------------------------------------------- */

static void
chat_end(struct chat_page *p)
{
	if (p->io != 0)
		g_source_remove(p->io);
	if (p->timer != 0)
		g_source_remove(p->timer);
	p->io = p->timer = 0;
	room_close(p->room);
	g_free(p->room);
	p->room = NULL;
	connect_page_show(p->app->connect, p->end != NULL ? p->end : "You left the room.");
	g_free(p->end);
	p->end = NULL;
}

static gboolean
on_timer(gpointer data)
{
	struct chat_page *p = data;

	p->timer = 0;
	chat_after(p);
	return G_SOURCE_REMOVE;
}

/* After anything the room did: end it, or arm the timer it asks for. */
static void
chat_after(struct chat_page *p)
{
	int ms = room_timers(p->room);

	if (p->room->state != ROOM_RUNNING) {
		chat_end(p);
		return;
	}
	if (p->timer != 0)
		g_source_remove(p->timer);
	p->timer = g_timeout_add((guint)ms, on_timer, p);
}

static gboolean
on_readable(int fd, GIOCondition cond, gpointer data)
{
	struct chat_page *p = data;

	(void)fd; (void)cond;
	room_receive(p->room);
	chat_after(p);
	return p->room != NULL ? G_SOURCE_CONTINUE : G_SOURCE_REMOVE;
}

/* ---- Input -------------------------------------------------------------- */

static void
on_changed(GtkEditable *e, gpointer data)
{
	struct chat_page *p = data;
	size_t len = strlen(gtk_editable_get_text(e));
	size_t max = p->room != NULL ? p->room->u.max_text : 0;
	char *s = len <= max ? g_strdup_printf("%zu bytes left", max - len) :
	    g_strdup_printf("%zu bytes too long: shorten it", len - max);

	gtk_label_set_text(p->left, s);
	gtk_widget_set_sensitive(p->send, len > 0 && len <= max);
	if (len > max)
		gtk_widget_add_css_class(GTK_WIDGET(p->input), "error");
	else
		gtk_widget_remove_css_class(GTK_WIDGET(p->input), "error");
	g_free(s);
}

static void
on_send(GtkWidget *w, gpointer data)
{
	struct chat_page *p = data;
	const char *text = gtk_editable_get_text(GTK_EDITABLE(p->input));
	char err[CLIENT_ERR_MAX];

	(void)w;
	if (p->room == NULL || text[0] == '\0')
		return;
	if (room_say(p->room, text, strlen(text), err) < 0) {
		line_add(p, LINE_ERROR, err);
	} else {
		line_chat(p, LINE_OWN, p->user, text);
		gtk_editable_set_text(GTK_EDITABLE(p->input), "");
	}
	chat_after(p);
}

static void
on_leave(GtkWidget *w, gpointer data)
{
	struct chat_page *p = data;

	(void)w;
	if (p->room == NULL)
		return;
	gtk_widget_set_sensitive(p->leave, false);
	room_leave(p->room);
	chat_after(p);
}

/* Closing the window in a room says LEAVE once, without waiting. */
static gboolean
on_close_request(GtkWindow *w, gpointer data)
{
	struct chat_page *p = data;

	(void)w;
	if (p->room != NULL)
		room_leave(p->room);
	return FALSE;
}

/* ---- Building ----------------------------------------------------------- */

static GtkWidget *
list_in_scroll(GtkListBox **box, const char *a11y, GtkScrolledWindow **scroll_out)
{
	GtkWidget *scroll = gtk_scrolled_window_new();

	*box = GTK_LIST_BOX(gtk_list_box_new());
	gtk_list_box_set_selection_mode(*box, GTK_SELECTION_NONE);
	gtk_accessible_update_property(GTK_ACCESSIBLE(*box), GTK_ACCESSIBLE_PROPERTY_LABEL,
	    a11y, -1);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(*box));
	gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
	    GTK_POLICY_AUTOMATIC);
	gtk_widget_set_vexpand(scroll, true);
	if (scroll_out != NULL)
		*scroll_out = GTK_SCROLLED_WINDOW(scroll);
	return scroll;
}

static GtkWidget *
input_build(struct chat_page *p)
{
	GtkWidget *row = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	GtkWidget *label = gtk_label_new_with_mnemonic("_Message");

	p->input = GTK_ENTRY(gtk_entry_new());
	gtk_widget_set_hexpand(GTK_WIDGET(p->input), true);
	gtk_label_set_mnemonic_widget(GTK_LABEL(label), GTK_WIDGET(p->input));
	g_signal_connect(p->input, "changed", G_CALLBACK(on_changed), p);
	g_signal_connect(p->input, "activate", G_CALLBACK(on_send), p);
	p->left = GTK_LABEL(gtk_label_new(""));
	p->send = button_new("Sen_d", NULL);
	g_signal_connect(p->send, "clicked", G_CALLBACK(on_send), p);
	p->leave = button_new("_Leave", "Leave the room");
	g_signal_connect(p->leave, "clicked", G_CALLBACK(on_leave), p);
	gtk_box_append(GTK_BOX(row), label);
	gtk_box_append(GTK_BOX(row), GTK_WIDGET(p->input));
	gtk_box_append(GTK_BOX(row), GTK_WIDGET(p->left));
	gtk_box_append(GTK_BOX(row), p->send);
	gtk_box_append(GTK_BOX(row), p->leave);
	return row;
}

struct chat_page *
chat_page_new(struct app *a)
{
	struct chat_page *p = g_new0(struct chat_page, 1);
	GtkWidget *paned = gtk_paned_new(GTK_ORIENTATION_HORIZONTAL);
	GtkWidget *side = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *mtitle = gtk_label_new("Members");

	p->app = a;
	p->root = gtk_box_new(GTK_ORIENTATION_VERTICAL, 8);
	gtk_widget_set_margin_start(p->root, 12);
	gtk_widget_set_margin_end(p->root, 12);
	gtk_widget_set_margin_top(p->root, 12);
	gtk_widget_set_margin_bottom(p->root, 12);
	p->title = GTK_LABEL(gtk_label_new(""));
	gtk_widget_add_css_class(GTK_WIDGET(p->title), "title-3");
	gtk_label_set_xalign(p->title, 0);
	gtk_label_set_ellipsize(p->title, PANGO_ELLIPSIZE_END);
	gtk_paned_set_start_child(GTK_PANED(paned), list_in_scroll(&p->lines, "Messages",
	    &p->scroll));
	gtk_label_set_xalign(GTK_LABEL(mtitle), 0);
	gtk_widget_add_css_class(mtitle, "heading");
	gtk_box_append(GTK_BOX(side), mtitle);
	gtk_box_append(GTK_BOX(side), list_in_scroll(&p->members, "Members", NULL));
	gtk_widget_set_size_request(side, 160, -1);
	gtk_paned_set_end_child(GTK_PANED(paned), side);
	gtk_paned_set_resize_end_child(GTK_PANED(paned), false);
	gtk_paned_set_shrink_end_child(GTK_PANED(paned), false);
	gtk_widget_set_vexpand(paned, true);
	gtk_box_append(GTK_BOX(p->root), GTK_WIDGET(p->title));
	gtk_box_append(GTK_BOX(p->root), paned);
	gtk_box_append(GTK_BOX(p->root), input_build(p));
	g_signal_connect(a->window, "close-request", G_CALLBACK(on_close_request), p);
	return p;
}

GtkWidget *
chat_page_widget(struct chat_page *p)
{
	return p->root;
}

static void
page_clear(struct chat_page *p)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(p->lines))) != NULL)
		gtk_list_box_remove(p->lines, child);
	while ((child = gtk_widget_get_first_child(GTK_WIDGET(p->members))) != NULL)
		gtk_list_box_remove(p->members, child);
	p->n_lines = 0;
	gtk_editable_set_text(GTK_EDITABLE(p->input), "");
	gtk_widget_set_sensitive(p->leave, true);
}

void
chat_page_enter(struct chat_page *p, struct room *room, const struct tcrp_session *s)
{
	char *name, *user, *title;

	p->room = room;
	snprintf(p->name, sizeof(p->name), "%s", room->u.room);
	snprintf(p->user, sizeof(p->user), "%s", room->u.user);
	page_clear(p);
	name = text_for_label(p->name);
	user = text_isolated(p->user);
	title = g_strdup_printf("Room %s — you are %s%s", name, user,
	    s->host ? ", the host" : "");
	gtk_label_set_text(p->title, title);
	g_free(title);
	g_free(user);
	title = g_strdup_printf("OCM — %s", name);
	gtk_window_set_title(p->app->window, title);
	g_free(title);
	g_free(name);
	on_changed(GTK_EDITABLE(p->input), p);
	gtk_stack_set_visible_child_name(p->app->stack, "chat");
	gtk_window_set_default_widget(p->app->window, NULL);
	gtk_widget_grab_focus(GTK_WIDGET(p->input));
	line_add(p, LINE_NOTICE, "— connecting…");
	room_start(p->room, &gtk_room_ops, p);
	p->io = g_unix_fd_add(room_fd(p->room), G_IO_IN, on_readable, p);
	chat_after(p);
}
