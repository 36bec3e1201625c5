/*
 * text.c: peer text on its way to a label.  room.c has already made it
 * valid UTF-8 without control characters; labels here are never markup,
 * so what is left is bidirectional formatting: an override in a name
 * could make "alice: hi" read as someone else's words.  Those characters
 * become U+FFFD, and each untrusted piece is isolated (FSI ... PDI).
 * Also the accessible names of the buttons: GTK 4.8 reads the mnemonic's
 * underscore out loud.
 */
#include <string.h>

#include "gtk/ocm-gtk.h"

static bool
bidi_control(gunichar c)
{
	return c == 0x061c || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

char *
text_for_label(const char *s)
{
	GString *out = g_string_sized_new(strlen(s));

	for (const char *p = s; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		g_string_append_unichar(out, bidi_control(c) ? 0xfffd : c);
	}
	return g_string_free(out, FALSE);
}

char *
text_isolated(const char *s)
{
	char *clean = text_for_label(s);
	char *r = g_strconcat("\u2068", clean, "\u2069", NULL);

	g_free(clean);
	return r;
}

static void
a11y_label(GtkWidget *w, const char *mnemonic, const char *a11y)
{
	char *plain = NULL;

	if (a11y == NULL) {
		plain = g_strdup(mnemonic);
		char *u = strchr(plain, '_');
		if (u != NULL)
			memmove(u, u + 1, strlen(u));
		a11y = plain;
	}
	gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL,
	    a11y, -1);
	g_free(plain);
}

GtkWidget *
button_new(const char *mnemonic, const char *a11y)
{
	GtkWidget *b = gtk_button_new_with_mnemonic(mnemonic);

	a11y_label(b, mnemonic, a11y);
	return b;
}

GtkWidget *
check_button_new(const char *mnemonic)
{
	GtkWidget *b = gtk_check_button_new_with_mnemonic(mnemonic);

	a11y_label(b, mnemonic, NULL);
	return b;
}
