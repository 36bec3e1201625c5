/*
 * connect.c: the connect page of ocm-gtk: server, port, name, create or
 * join, room, password, and the server's room list.  Each TCRP exchange
 * (tcrp_call or tcrp_list_rooms of libocmclient, then room_open) runs in
 * a GTask thread, so the window never waits on the network.  A server
 * not yet in known_servers stops the exchange before the request is sent
 * (tofu_ask); the fingerprint page asks, and the same job runs again
 * pinning it first.  Refusals are shown beside the field they concern.
 */
#include <errno.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "gtk/ocm-gtk.h"
#include "lib/text.h"

enum field {
	FIELD_SERVER,
	FIELD_USER,
	FIELD_ROOM,
	FIELD_PASSWORD,
	FIELD_MAX_
};

enum job_kind {
	JOB_ENTER,		/* CREATE or JOIN, then the UDP socket */
	JOB_LIST,		/* LIST_ROOMS, every page */
};

/* One exchange, owned by its GTask; the thread writes only the results. */
struct job {
	struct connect_page *p;
	enum job_kind kind;
	char *host;
	uint16_t port;
	struct tcrp_request req;	/* holds the password: wiped in job_free */
	bool pin;			/* pin fp before asking (the user agreed) */
	char fp[FINGERPRINT_LEN];
	int rc;
	char err[CLIENT_ERR_MAX];
	struct tcrp_result res;
	struct room *room;
};

struct connect_page {
	struct app *app;
	GtkStack *stack;		/* "form" or "trust" */
	GtkLabel *status;		/* why we are back from a room */
	GtkEntry *server, *port, *user, *room;
	GtkWidget *password;
	GtkCheckButton *create, *join;
	GtkLabel *error[FIELD_MAX_];
	GtkWidget *enter, *spinner;
	GtkListBox *rooms;
	GtkLabel *rooms_status;
	GtkWidget *refresh;
	GtkLabel *trust_text;
	GtkWidget *trust_button;
	struct job *pending;		/* waiting on the fingerprint page */
	bool busy;
};

/*
 * What a refusal means to the person at the form, and where it goes.  The
 * server's own message is added where it knows more (which limit, how
 * long); for the others it speaks to ocm-client's users ("-c", "-u").
 */
static const struct {
	enum field field;
	bool detail;
	const char *text;
} refusals[TCRP_CODE_MAX_] = {
	[TCRP_CODE_BAD_REQUEST] = { FIELD_SERVER, true,
		"The server did not understand the request" },
	[TCRP_CODE_UNSUPPORTED_VERSION] = { FIELD_SERVER, true,
		"The server speaks another version of OCM" },
	[TCRP_CODE_ROOM_EXISTS] = { FIELD_ROOM, false,
		"A room with this name exists already: join it instead" },
	[TCRP_CODE_NO_SUCH_ROOM] = { FIELD_ROOM, false,
		"There is no room with this name: create it, or pick one from the list" },
	[TCRP_CODE_BAD_PASSWORD] = { FIELD_PASSWORD, false, "Wrong password for this room" },
	[TCRP_CODE_NAME_TAKEN] = { FIELD_USER, false,
		"Someone in this room already has this name: choose another" },
	[TCRP_CODE_ROOM_FULL] = { FIELD_ROOM, false, "This room is full: try again later" },
	[TCRP_CODE_SERVER_FULL] = { FIELD_SERVER, true, "The server is full: try again later" },
	[TCRP_CODE_RATE_LIMITED] = { FIELD_SERVER, true,
		"Too many attempts or rooms from this address: wait, or leave some" },
	[TCRP_CODE_UNAVAILABLE] = { FIELD_SERVER, true,
		"The server cannot decide now: try again later" },
	[TCRP_CODE_INTERNAL] = { FIELD_SERVER, true,
		"The server failed to answer: try again later" },
};

static void job_start(struct job *j);

/* ---- Errors beside the fields ------------------------------------------- */

static GtkWidget *
field_widget(struct connect_page *p, enum field f)
{
	GtkWidget *w[FIELD_MAX_] = {
		GTK_WIDGET(p->server), GTK_WIDGET(p->user), GTK_WIDGET(p->room), p->password,
	};

	return w[f];
}

static void
error_clear(struct connect_page *p, enum field f)
{
	gtk_label_set_text(p->error[f], "");
	gtk_widget_set_visible(GTK_WIDGET(p->error[f]), false);
	gtk_accessible_reset_property(GTK_ACCESSIBLE(field_widget(p, f)),
	    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION);
}

static void
errors_clear(struct connect_page *p)
{
	for (int f = 0; f < FIELD_MAX_; f++)
		error_clear(p, f);
}

/* text is ours, or peer text already made safe. */
static void
error_show(struct connect_page *p, enum field f, const char *text)
{
	gtk_label_set_text(p->error[f], text);
	gtk_widget_set_visible(GTK_WIDGET(p->error[f]), true);
	/* The field's description: a screen reader reads it with the field. */
	gtk_accessible_update_property(GTK_ACCESSIBLE(field_widget(p, f)),
	    GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, text, -1);
	gtk_widget_grab_focus(field_widget(p, f));
}

static void
refusal_show(struct connect_page *p, const struct tcrp_result *res)
{
	enum tcrp_code code = res->code < TCRP_CODE_MAX_ ? res->code : TCRP_CODE_INTERNAL;
	const char *text = refusals[code].text != NULL ? refusals[code].text :
	    "The server refused";

	/* payload.c has made it one line without control characters. */
	char *clean = text_for_label(res->message);
	char *full = refusals[code].detail && clean[0] != '\0' ?
	    g_strdup_printf("%s (the server says: %s).", text, clean) :
	    g_strdup_printf("%s.", text);
	error_show(p, refusals[code].field, full);
	g_free(full);
	g_free(clean);
}

/* ---- Reading the form ------------------------------------------------- */

static bool
form_name(struct connect_page *p, GtkEntry *e, enum field f, const char *what, char *out,
    uint8_t *len)
{
	const char *s = gtk_editable_get_text(GTK_EDITABLE(e));
	size_t n = strlen(s);

	if (n == 0 || n > OCM_NAME_MAX || !name_valid((const uint8_t *)s, n)) {
		char *t = g_strdup_printf("Give a %s of 1 to %d bytes, without control characters.",
		    what, OCM_NAME_MAX);
		error_show(p, f, t);
		g_free(t);
		return false;
	}
	memcpy(out, s, n + 1);
	*len = (uint8_t)n;
	return true;
}

static bool
form_server(struct connect_page *p, struct job *j)
{
	const char *host = gtk_editable_get_text(GTK_EDITABLE(p->server));
	const char *port = gtk_editable_get_text(GTK_EDITABLE(p->port));
	char *end;
	unsigned long v = strtoul(port, &end, 10);

	if (host[0] == '\0') {
		error_show(p, FIELD_SERVER, "Give the server's name or address.");
		return false;
	}
	if (port[0] == '\0' || *end != '\0' || v == 0 || v > 65535) {
		error_show(p, FIELD_SERVER, "Give a port number from 1 to 65535.");
		return false;
	}
	j->host = g_strdup(host);
	j->port = (uint16_t)v;
	return true;
}

static bool
form_password(struct connect_page *p, struct job *j)
{
	const char *s = gtk_editable_get_text(GTK_EDITABLE(p->password));
	size_t n = strlen(s);

	if (n > OCM_PASSWORD_MAX) {
		char *t = g_strdup_printf("A password is at most %d bytes.", OCM_PASSWORD_MAX);
		error_show(p, FIELD_PASSWORD, t);
		g_free(t);
		return false;
	}
	memcpy(j->req.password, s, n);
	j->req.password_len = n;
	return true;
}

static struct job *
job_new(struct connect_page *p, enum job_kind kind)
{
	struct job *j = g_new0(struct job, 1);

	j->p = p;
	j->kind = kind;
	return j;
}

static void
job_free(struct job *j)
{
	OPENSSL_cleanse(&j->req, sizeof(j->req));
	tcrp_result_clear(&j->res);
	if (j->room != NULL) {
		room_close(j->room);
		g_free(j->room);
	}
	g_free(j->host);
	g_free(j);
}

/* ---- The exchange, in a thread ---------------------------------------- */

static void
job_opts(const struct job *j, const struct app *a, struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->host = j->host;
	o->port = j->port;
	o->known_servers = a->known_servers;
	o->quiet_tofu = true;
	o->tofu_ask = true;
	o->timeout_ms = GTK_TCRP_TIMEOUT_MS;
}

static void
job_thread(GTask *task, gpointer src, gpointer data, GCancellable *cancel)
{
	struct job *j = data;
	struct server_opts o;

	(void)task; (void)src; (void)cancel;
	job_opts(j, j->p->app, &o);
	if (j->pin && known_servers_pin(&o, j->fp, j->err) < 0) {
		j->rc = -1;
		return;
	}
	if (j->kind == JOB_LIST) {
		j->rc = tcrp_list_rooms(&o, NULL, &j->res, j->err);
		return;
	}
	j->rc = tcrp_call(&o, &j->req, &j->res, j->err);
	if (j->rc < 0 || j->res.code != TCRP_CODE_OK)
		return;
	j->room = g_new0(struct room, 1);
	if (room_open(j->room, &o, &j->req, &j->res, j->err) < 0) {
		g_free(j->room);
		j->room = NULL;
		j->rc = -1;
	}
}

static void
busy_set(struct connect_page *p, bool busy)
{
	p->busy = busy;
	gtk_widget_set_sensitive(p->enter, !busy);
	gtk_widget_set_sensitive(p->refresh, !busy);
	gtk_widget_set_visible(p->spinner, busy);
	gtk_spinner_set_spinning(GTK_SPINNER(p->spinner), busy);
}

/* ---- The fingerprint page --------------------------------------------- */

static void
trust_ask(struct connect_page *p, struct job *j)
{
	char *t = g_strdup_printf("This is the first connection to %s port %u.\n\n"
	    "Its key fingerprint is\n%s\n\n"
	    "Compare it with the fingerprint the server's administrator gives you "
	    "(ocmctl status shows it).  If you trust it, it is recorded in known_servers, "
	    "as ocm-client does, and a later change of key will be refused.",
	    j->host, j->port, j->res.fingerprint);

	memcpy(j->fp, j->res.fingerprint, sizeof(j->fp));
	p->pending = j;
	gtk_label_set_text(p->trust_text, t);
	g_free(t);
	gtk_stack_set_visible_child_name(p->stack, "trust");
	gtk_widget_grab_focus(p->trust_button);
}

static void
trust_answer(struct connect_page *p, bool yes)
{
	struct job *j = p->pending;

	p->pending = NULL;
	gtk_stack_set_visible_child_name(p->stack, "form");
	if (j == NULL)
		return;
	if (!yes) {
		error_show(p, FIELD_SERVER, "Not connected: the server's key was not trusted.");
		job_free(j);
		return;
	}
	j->pin = true;
	tcrp_result_clear(&j->res);
	job_start(j);
}

static void
on_trust(GtkButton *b, gpointer data)
{
	(void)b;
	trust_answer(data, true);
}

static void
on_distrust(GtkButton *b, gpointer data)
{
	(void)b;
	trust_answer(data, false);
}

/* ---- Results ----------------------------------------------------------- */

static void
rooms_fill(struct connect_page *p, const struct tcrp_result *res)
{
	GtkWidget *child;

	while ((child = gtk_widget_get_first_child(GTK_WIDGET(p->rooms))) != NULL)
		gtk_list_box_remove(p->rooms, child);
	for (size_t i = 0; i < res->n_rooms; i++) {
		const struct tcrp_room_info *r = &res->rooms[i];
		GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
		char *name = text_for_label(r->name);
		char *count = g_strdup_printf(r->members == 1 ? "%u member" : "%u members",
		    r->members);
		GtkWidget *l = gtk_label_new(name);
		gtk_label_set_xalign(GTK_LABEL(l), 0);
		gtk_widget_set_hexpand(l, true);
		gtk_box_append(GTK_BOX(box), l);
		gtk_box_append(GTK_BOX(box), gtk_label_new(count));
		if (r->password) {
			GtkWidget *lock = gtk_image_new_from_icon_name("system-lock-screen-symbolic");
			gtk_accessible_update_property(GTK_ACCESSIBLE(lock),
			    GTK_ACCESSIBLE_PROPERTY_LABEL, "password required", -1);
			gtk_widget_set_tooltip_text(lock, "password required");
			gtk_box_append(GTK_BOX(box), lock);
		}
		gtk_list_box_append(p->rooms, box);
		GtkWidget *row = gtk_widget_get_parent(box);
		char *a11y = g_strdup_printf("%s, %s%s", name, count,
		    r->password ? ", password required" : "");
		gtk_accessible_update_property(GTK_ACCESSIBLE(row),
		    GTK_ACCESSIBLE_PROPERTY_LABEL, a11y, -1);
		g_object_set_data_full(G_OBJECT(row), "room", g_strdup(r->name), g_free);
		g_free(a11y);
		g_free(count);
		g_free(name);
	}
	/* A list cut by tcrp_list_rooms() says so, and how to reach the rest. */
	char *t = res->n_rooms == 0 ? g_strdup("No rooms yet: create one.") :
	    res->rooms_more ? g_strdup_printf("The first %zu rooms; the server has more: "
	    "type the name of one not listed to join it.", res->n_rooms) :
	    g_strdup_printf("%zu room%s", res->n_rooms, res->n_rooms == 1 ? "" : "s");
	gtk_label_set_text(p->rooms_status, t);
	g_free(t);
}

static void
remember(const struct job *j)
{
	char port[8];

	snprintf(port, sizeof(port), "%u", j->port);
	settings_set("server", j->host);
	settings_set("port", port);
	if (j->kind == JOB_ENTER)
		settings_set("user", j->req.user);
}

/* On the main thread: what the exchange came to. */
static void
job_done(GObject *src, GAsyncResult *result, gpointer data)
{
	struct job *j = g_task_get_task_data(G_TASK(result));
	struct connect_page *p = j->p;

	(void)src; (void)data;
	busy_set(p, false);
	if (j->rc < 0 && j->res.unpinned) {
		trust_ask(p, j);	/* the job waits there */
		return;
	}
	if (j->rc < 0) {
		char *t = text_for_label(j->err);
		error_show(p, FIELD_SERVER, t);
		if (j->kind == JOB_LIST)
			gtk_label_set_text(p->rooms_status, "The list could not be fetched.");
		g_free(t);
	} else if (j->res.code != TCRP_CODE_OK) {
		refusal_show(p, &j->res);
	} else {
		remember(j);
		if (j->kind == JOB_LIST) {
			rooms_fill(p, &j->res);
		} else {
			gtk_editable_set_text(GTK_EDITABLE(p->password), "");
			chat_page_enter(p->app->chat, j->room, &j->res.session);
			j->room = NULL;
		}
	}
	job_free(j);
}

static void
job_start(struct job *j)
{
	GTask *task = g_task_new(NULL, NULL, job_done, NULL);

	busy_set(j->p, true);
	g_task_set_task_data(task, j, NULL);
	g_task_run_in_thread(task, job_thread);
	g_object_unref(task);
}

/* ---- Actions ------------------------------------------------------------ */

static void
on_enter(GtkWidget *w, gpointer data)
{
	struct connect_page *p = data;
	struct job *j;
	bool join = gtk_check_button_get_active(p->join);

	(void)w;
	if (p->busy)
		return;
	errors_clear(p);
	j = job_new(p, JOB_ENTER);
	j->req.operation = join ? TCRP_OP_JOIN_ROOM : TCRP_OP_CREATE_ROOM;
	if (!form_server(p, j) ||
	    !form_name(p, p->user, FIELD_USER, "name", j->req.user, &j->req.user_len) ||
	    !form_name(p, p->room, FIELD_ROOM, "room name", j->req.room, &j->req.room_len) ||
	    !form_password(p, j)) {
		job_free(j);
		return;
	}
	gtk_label_set_text(p->status, "");
	gtk_widget_set_visible(GTK_WIDGET(p->status), false);
	job_start(j);
}

static void
on_refresh(GtkWidget *w, gpointer data)
{
	struct connect_page *p = data;
	struct job *j;

	(void)w;
	if (p->busy)
		return;
	error_clear(p, FIELD_SERVER);	/* the others still stand */
	j = job_new(p, JOB_LIST);
	if (!form_server(p, j)) {
		job_free(j);
		return;
	}
	gtk_label_set_text(p->rooms_status, "Fetching the list...");
	job_start(j);
}

/* A room picked from the list: join it, the password next. */
static void
on_room_activated(GtkListBox *box, GtkListBoxRow *row, gpointer data)
{
	struct connect_page *p = data;
	const char *name = g_object_get_data(G_OBJECT(row), "room");

	(void)box;
	if (name == NULL)
		return;
	gtk_editable_set_text(GTK_EDITABLE(p->room), name);
	gtk_check_button_set_active(p->join, true);
	gtk_widget_grab_focus(p->password);
}

/* ---- Building the page -------------------------------------------------- */

static GtkLabel *
error_label(void)
{
	GtkWidget *l = gtk_label_new("");

	gtk_widget_add_css_class(l, "field-error");
	gtk_label_set_wrap(GTK_LABEL(l), true);
	gtk_label_set_xalign(GTK_LABEL(l), 0);
	gtk_label_set_max_width_chars(GTK_LABEL(l), 40);
	gtk_label_set_selectable(GTK_LABEL(l), false);
	gtk_widget_set_visible(l, false);
	return GTK_LABEL(l);
}

/* A row of the form: "_Label" | widget | its error, beside it.  The
 * mnemonic label names the widget for a screen reader too. */
static void
form_row(GtkGrid *g, int row, const char *mnemonic, GtkWidget *w, GtkLabel *err)
{
	GtkWidget *l = gtk_label_new_with_mnemonic(mnemonic);

	gtk_label_set_mnemonic_widget(GTK_LABEL(l), w);
	gtk_label_set_xalign(GTK_LABEL(l), 1);
	gtk_widget_set_hexpand(w, true);
	gtk_grid_attach(g, l, 0, row, 1, 1);
	gtk_grid_attach(g, w, 1, row, 1, 1);
	if (err != NULL)
		gtk_grid_attach(g, GTK_WIDGET(err), 2, row, 1, 1);
}

static GtkEntry *
entry_new(const char *setting, const char *fallback)
{
	GtkWidget *e = gtk_entry_new();
	char *v = setting != NULL ? settings_get(setting) : NULL;

	gtk_editable_set_text(GTK_EDITABLE(e), v != NULL ? v : fallback);
	gtk_entry_set_activates_default(GTK_ENTRY(e), true);
	g_free(v);
	return GTK_ENTRY(e);
}

static GtkWidget *
form_build(struct connect_page *p)
{
	GtkGrid *g = GTK_GRID(gtk_grid_new());
	char port[8];

	snprintf(port, sizeof(port), "%d", OCM_DEFAULT_PORT);
	gtk_grid_set_row_spacing(g, 8);
	gtk_grid_set_column_spacing(g, 12);
	for (int f = 0; f < FIELD_MAX_; f++)
		p->error[f] = error_label();
	p->server = entry_new("server", "localhost");
	p->port = entry_new("port", port);
	gtk_entry_set_input_purpose(p->port, GTK_INPUT_PURPOSE_DIGITS);
	p->user = entry_new("user", g_get_user_name());
	p->room = entry_new(NULL, "");
	p->password = gtk_password_entry_new();
	gtk_password_entry_set_show_peek_icon(GTK_PASSWORD_ENTRY(p->password), true);
	g_object_set(p->password, "activates-default", TRUE, NULL);
	p->create = GTK_CHECK_BUTTON(check_button_new("C_reate a room"));
	p->join = GTK_CHECK_BUTTON(check_button_new("_Join a room"));
	gtk_check_button_set_group(p->join, p->create);
	gtk_check_button_set_active(p->create, true);
	GtkWidget *what = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	gtk_box_append(GTK_BOX(what), GTK_WIDGET(p->create));
	gtk_box_append(GTK_BOX(what), GTK_WIDGET(p->join));

	form_row(g, 0, "_Server", GTK_WIDGET(p->server), p->error[FIELD_SERVER]);
	form_row(g, 1, "_Port", GTK_WIDGET(p->port), NULL);
	form_row(g, 2, "Your _name", GTK_WIDGET(p->user), p->error[FIELD_USER]);
	gtk_grid_attach(g, what, 1, 3, 1, 1);
	form_row(g, 4, "R_oom", GTK_WIDGET(p->room), p->error[FIELD_ROOM]);
	form_row(g, 5, "Pass_word", p->password, p->error[FIELD_PASSWORD]);
	return GTK_WIDGET(g);
}

static GtkWidget *
rooms_build(struct connect_page *p)
{
	GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 6);
	GtkWidget *head = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 8);
	GtkWidget *title = gtk_label_new_with_mnemonic("Rooms on this ser_ver");
	GtkWidget *scroll = gtk_scrolled_window_new();

	gtk_label_set_xalign(GTK_LABEL(title), 0);
	gtk_widget_set_hexpand(title, true);
	p->refresh = button_new("Re_fresh", "Refresh the room list");
	g_signal_connect(p->refresh, "clicked", G_CALLBACK(on_refresh), p);
	gtk_box_append(GTK_BOX(head), title);
	gtk_box_append(GTK_BOX(head), p->refresh);
	p->rooms = GTK_LIST_BOX(gtk_list_box_new());
	gtk_label_set_mnemonic_widget(GTK_LABEL(title), GTK_WIDGET(p->rooms));
	g_signal_connect(p->rooms, "row-activated", G_CALLBACK(on_room_activated), p);
	gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(p->rooms));
	gtk_widget_set_vexpand(scroll, true);
	p->rooms_status = GTK_LABEL(gtk_label_new("Refresh to see the rooms; Enter on one "
	    "picks it to join."));
	gtk_label_set_xalign(p->rooms_status, 0);
	gtk_box_append(GTK_BOX(box), head);
	gtk_box_append(GTK_BOX(box), scroll);
	gtk_box_append(GTK_BOX(box), GTK_WIDGET(p->rooms_status));
	return box;
}

static GtkWidget *
trust_build(struct connect_page *p)
{
	GtkWidget *box = g_object_new(GTK_TYPE_BOX, "orientation", GTK_ORIENTATION_VERTICAL,
	    "spacing", 12, "accessible-role", GTK_ACCESSIBLE_ROLE_DIALOG, NULL);
	GtkWidget *title = gtk_label_new("Unknown server");
	GtkWidget *buttons = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);
	GtkWidget *no = button_new("_Cancel", NULL);

	gtk_widget_add_css_class(title, "title-2");
	gtk_accessible_update_property(GTK_ACCESSIBLE(box), GTK_ACCESSIBLE_PROPERTY_LABEL,
	    "Unknown server", -1);
	p->trust_text = GTK_LABEL(gtk_label_new(""));
	gtk_label_set_wrap(p->trust_text, true);
	gtk_label_set_selectable(p->trust_text, true);
	gtk_label_set_max_width_chars(p->trust_text, 70);
	p->trust_button = button_new("_Trust and connect", NULL);
	g_signal_connect(p->trust_button, "clicked", G_CALLBACK(on_trust), p);
	g_signal_connect(no, "clicked", G_CALLBACK(on_distrust), p);
	gtk_box_append(GTK_BOX(buttons), p->trust_button);
	gtk_box_append(GTK_BOX(buttons), no);
	gtk_widget_set_halign(buttons, GTK_ALIGN_CENTER);
	gtk_widget_set_valign(box, GTK_ALIGN_CENTER);
	gtk_box_append(GTK_BOX(box), title);
	gtk_box_append(GTK_BOX(box), GTK_WIDGET(p->trust_text));
	gtk_box_append(GTK_BOX(box), buttons);
	return box;
}

struct connect_page *
connect_page_new(struct app *a)
{
	struct connect_page *p = g_new0(struct connect_page, 1);
	GtkWidget *page = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
	GtkWidget *actions = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

	p->app = a;
	gtk_widget_set_margin_start(page, 18);
	gtk_widget_set_margin_end(page, 18);
	gtk_widget_set_margin_top(page, 18);
	gtk_widget_set_margin_bottom(page, 18);
	p->status = GTK_LABEL(gtk_label_new(""));
	gtk_widget_add_css_class(GTK_WIDGET(p->status), "status");
	gtk_label_set_wrap(p->status, true);
	gtk_label_set_xalign(p->status, 0);
	gtk_widget_set_visible(GTK_WIDGET(p->status), false);
	gtk_box_append(GTK_BOX(page), GTK_WIDGET(p->status));
	gtk_box_append(GTK_BOX(page), form_build(p));
	p->enter = button_new("_Enter the room", NULL);
	g_signal_connect(p->enter, "clicked", G_CALLBACK(on_enter), p);
	p->spinner = gtk_spinner_new();
	gtk_widget_set_visible(p->spinner, false);
	gtk_box_append(GTK_BOX(actions), p->enter);
	gtk_box_append(GTK_BOX(actions), p->spinner);
	gtk_box_append(GTK_BOX(page), actions);
	gtk_box_append(GTK_BOX(page), rooms_build(p));

	p->stack = GTK_STACK(gtk_stack_new());
	gtk_stack_add_named(p->stack, page, "form");
	gtk_stack_add_named(p->stack, trust_build(p), "trust");
	return p;
}

GtkWidget *
connect_page_widget(struct connect_page *p)
{
	return GTK_WIDGET(p->stack);
}

void
connect_page_show(struct connect_page *p, const char *why)
{
	GtkWindow *w = p->app->window;

	gtk_stack_set_visible_child_name(p->app->stack, "connect");
	gtk_stack_set_visible_child_name(p->stack, "form");
	gtk_window_set_title(w, "OCM");
	gtk_window_set_default_widget(w, p->enter);
	gtk_label_set_text(p->status, why != NULL ? why : "");
	gtk_widget_set_visible(GTK_WIDGET(p->status), why != NULL);
	gtk_widget_grab_focus(GTK_WIDGET(p->server));
}
