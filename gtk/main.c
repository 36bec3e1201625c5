/*
 * main.c: ocm-gtk, the GTK 4 desktop client of OCM.  Builds the one window
 * (a stack of the connect page and the chat page), keeps the settings
 * remembered between runs, and follows the desktop's dark or light
 * preference (the freedesktop settings portal, when there is one).
 */
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gtk/ocm-gtk.h"
#include "lib/log.h"

#define SETTINGS_GROUP	"connect"

static char *
settings_path(void)
{
	return g_build_filename(g_get_user_config_dir(), "ocm", "ocm-gtk.conf", NULL);
}

char *
settings_get(const char *key)
{
	GKeyFile *kf = g_key_file_new();
	char *path = settings_path();
	char *v = NULL;

	if (g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, NULL))
		v = g_key_file_get_string(kf, SETTINGS_GROUP, key, NULL);
	g_key_file_unref(kf);
	g_free(path);
	return v;
}

/* A failure to remember is not worth an error: the next run asks again. */
void
settings_set(const char *key, const char *value)
{
	GKeyFile *kf = g_key_file_new();
	char *path = settings_path();
	char *dir = g_path_get_dirname(path);

	(void)g_key_file_load_from_file(kf, path, G_KEY_FILE_KEEP_COMMENTS, NULL);
	g_key_file_set_string(kf, SETTINGS_GROUP, key, value);
	if (g_mkdir_with_parents(dir, 0700) == 0)
		(void)g_key_file_save_to_file(kf, path, NULL);
	g_free(dir);
	g_free(path);
	g_key_file_unref(kf);
}

/* ---- Dark or light ------------------------------------------------------ */

/* color-scheme: 0 no preference, 1 prefer dark, 2 prefer light. */
static void
scheme_apply(GVariant *v)
{
	while (v != NULL && g_variant_is_of_type(v, G_VARIANT_TYPE_VARIANT)) {
		GVariant *inner = g_variant_get_variant(v);
		g_variant_unref(v);
		v = inner;
	}
	if (v == NULL)
		return;
	if (g_variant_is_of_type(v, G_VARIANT_TYPE_UINT32))
		g_object_set(gtk_settings_get_default(), "gtk-application-prefer-dark-theme",
		    g_variant_get_uint32(v) == 1, NULL);
	g_variant_unref(v);
}

static void
scheme_read_done(GObject *src, GAsyncResult *res, gpointer data)
{
	GVariant *r = g_dbus_connection_call_finish(G_DBUS_CONNECTION(src), res, NULL);
	GVariant *v;

	(void)data;
	if (r == NULL)		/* no portal: the theme GTK chose stays */
		return;
	g_variant_get(r, "(v)", &v);
	scheme_apply(v);
	g_variant_unref(r);
}

static void
scheme_changed(GDBusConnection *c, const char *sender, const char *path,
    const char *iface, const char *signal, GVariant *params, gpointer data)
{
	const char *ns, *key;
	GVariant *v;

	(void)c; (void)sender; (void)path; (void)iface; (void)signal; (void)data;
	g_variant_get(params, "(&s&sv)", &ns, &key, &v);
	if (strcmp(ns, "org.freedesktop.appearance") == 0 && strcmp(key, "color-scheme") == 0)
		scheme_apply(v);
	else
		g_variant_unref(v);
}

static void
scheme_follow(GApplication *gapp)
{
	GDBusConnection *bus = g_application_get_dbus_connection(gapp);

	if (bus == NULL)
		return;
	g_dbus_connection_signal_subscribe(bus, "org.freedesktop.portal.Desktop",
	    "org.freedesktop.portal.Settings", "SettingChanged",
	    "/org/freedesktop/portal/desktop", NULL, G_DBUS_SIGNAL_FLAGS_NONE,
	    scheme_changed, NULL, NULL);
	g_dbus_connection_call(bus, "org.freedesktop.portal.Desktop",
	    "/org/freedesktop/portal/desktop", "org.freedesktop.portal.Settings", "Read",
	    g_variant_new("(ss)", "org.freedesktop.appearance", "color-scheme"),
	    G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 2000, NULL, scheme_read_done,
	    NULL);
}

/* ---- The window --------------------------------------------------------- */

static const char app_css[] =
	".notice { font-style: italic; opacity: 0.75; }\n"
	".own { font-weight: bold; }\n"
	".field-error { color: #c01c28; }\n"
	".status { font-weight: bold; }\n";

static void
css_load(void)
{
	GtkCssProvider *css = gtk_css_provider_new();

	gtk_css_provider_load_from_data(css, app_css, -1);
	gtk_style_context_add_provider_for_display(gdk_display_get_default(),
	    GTK_STYLE_PROVIDER(css), GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
	g_object_unref(css);
}

static void
on_activate(GApplication *gapp, gpointer data)
{
	struct app *a = data;

	if (a->window != NULL) {
		gtk_window_present(a->window);
		return;
	}
	css_load();
	scheme_follow(gapp);
	a->window = GTK_WINDOW(gtk_application_window_new(a->gapp));
	gtk_window_set_title(a->window, "OCM");
	gtk_window_set_icon_name(a->window, GTK_APP_ID);
	gtk_window_set_default_size(a->window, 760, 560);
	a->stack = GTK_STACK(gtk_stack_new());
	a->connect = connect_page_new(a);
	a->chat = chat_page_new(a);
	gtk_stack_add_named(a->stack, connect_page_widget(a->connect), "connect");
	gtk_stack_add_named(a->stack, chat_page_widget(a->chat), "chat");
	gtk_window_set_child(a->window, GTK_WIDGET(a->stack));
	connect_page_show(a->connect, NULL);
	gtk_window_present(a->window);
}

static gboolean
opt_version(const char *name, const char *value, gpointer data, GError **error)
{
	(void)name; (void)value; (void)data; (void)error;
	printf("ocm-gtk %s\n", PACKAGE_VERSION);
	exit(0);
}

int
main(int argc, char **argv)
{
	struct app a;
	const GOptionEntry entries[] = {
		{ "known-servers", 0, 0, G_OPTION_ARG_FILENAME, &a.known_servers,
		  "pinned server keys (default: $XDG_CONFIG_HOME/ocm/known_servers)", "FILE" },
		{ "version", 'V', G_OPTION_FLAG_NO_ARG, G_OPTION_ARG_CALLBACK,
		  (gpointer)opt_version, "print the version and exit", NULL },
		{ NULL, 0, 0, 0, NULL, NULL, NULL },
	};

	memset(&a, 0, sizeof(a));
	setlocale(LC_ALL, "");
	/* A server that takes the connection and closes it at once (out of
	 * descriptors) must fail the request, not kill the program. */
	signal(SIGPIPE, SIG_IGN);
	log_init("ocm-gtk", LOG_LEVEL_WARN);
	a.gapp = gtk_application_new(GTK_APP_ID, G_APPLICATION_NON_UNIQUE);
	g_application_add_main_option_entries(G_APPLICATION(a.gapp), entries);
	g_application_set_option_context_summary(G_APPLICATION(a.gapp),
	    "OCM desktop chat client: create or join a room on an ocmd server.");
	g_signal_connect(a.gapp, "activate", G_CALLBACK(on_activate), &a);
	int status = g_application_run(G_APPLICATION(a.gapp), argc, argv);
	g_object_unref(a.gapp);
	g_free(a.known_servers);
	return status;
}
