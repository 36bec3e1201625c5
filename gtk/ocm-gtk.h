/*
 * ocm-gtk.h: the parts of ocm-gtk, the GTK 4 desktop client.  main.c owns
 * the application, its one window (a stack of two pages) and the settings
 * remembered between runs; connect.c is the connect page, whose TCRP
 * exchanges run in GTask threads; chatview.c is the chat page, which
 * drives client/room.c from the GLib main loop; text.c makes peer text
 * safe to show.  Protocol code lives only in libocmclient.
 */
#ifndef OCM_GTK_H
#define OCM_GTK_H

#include <gtk/gtk.h>

#include "client/room.h"
#include "client/session.h"

#define GTK_APP_ID		"org.ocm.Gtk"
#define GTK_TCRP_TIMEOUT_MS	10000

struct app {
	GtkApplication *gapp;
	GtkWindow *window;
	GtkStack *stack;
	struct connect_page *connect;
	struct chat_page *chat;
	char *known_servers;		/* --known-servers, or NULL: the default */
};

/* main.c: settings under $XDG_CONFIG_HOME/ocm/ocm-gtk.conf. */
char *settings_get(const char *key);
void settings_set(const char *key, const char *value);

/* connect.c */
struct connect_page *connect_page_new(struct app *a);
GtkWidget *connect_page_widget(struct connect_page *p);
/* Back from a room: shows why (NULL: nothing to say) and takes focus. */
void connect_page_show(struct connect_page *p, const char *why);

/* chatview.c: takes over room (g_free()d at the end), res's session. */
struct chat_page *chat_page_new(struct app *a);
GtkWidget *chat_page_widget(struct chat_page *p);
void chat_page_enter(struct chat_page *p, struct room *room,
    const struct tcrp_session *s);

/* text.c: a button with an Alt mnemonic whose accessible name is the
 * label without its underscore (a11y: that name, when it differs). */
GtkWidget *button_new(const char *mnemonic, const char *a11y);
GtkWidget *check_button_new(const char *mnemonic);

/* text.c: a copy of s, valid UTF-8 (an ill-formed byte as '?'), with
 * control characters but TAB and newline as '?' and bidirectional and
 * other format characters (lib/text.h) as U+FFFD, so that a name can
 * neither reorder nor hide the rest of a line.  g_free() it. */
char *text_for_label(const char *s);
/* "\u2068s\u2069": s isolated from the text around it. */
char *text_isolated(const char *s);

#endif
