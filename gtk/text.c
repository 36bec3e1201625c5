/*
 * text.c: text on its way to a label, through lib/text.c's policy.  Labels
 * here are never markup, so what is left is what the characters do:
 * control characters become '?' (room.c has already done so for peer
 * text), and bidirectional and other invisible format characters U+FFFD,
 * since an override in a name could make "alice: hi" read as someone
 * else's words; each untrusted piece is then isolated (FSI ... PDI).
 * Also the accessible names of the buttons: GTK 4.8 reads the mnemonic's
 * underscore out loud.
 */
#include <string.h>

#include "gtk/ocm-gtk.h"
#include "lib/text.h"

/* Local messages (a pinned key that changed) run over lines; peer text
 * has no line breaks left, and may keep its TABs. */
static const struct text_style label_style = {
	.control = TEXT_QUESTION,
	.format = TEXT_REPLACEMENT,
	.keep_tab = true,
	.keep_newline = true,
};

char *
text_for_label(const char *s)
{
	size_t len = strlen(s);
	size_t n = text_sanitize_len((const uint8_t *)s, len, &label_style);
	char *out = g_malloc(n + 1);

	text_sanitize((const uint8_t *)s, len, &label_style, out, n + 1);
	return out;
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
