/*
 * bench_report.c: the results of a run, printed either as an aligned
 * table for people (one column per target: ocmd, then the baseline or raw
 * TLS measured in the same run) or as one JSON object.  Both come from the
 * same field table and values, so the two outputs always agree.
 */
#include "tests/bench/bench.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void
report_init(struct report *r, const char *mode, const struct field *fields, size_t n)
{
	memset(r, 0, sizeof(*r));
	r->mode = mode;
	r->fields = fields;
	r->n_fields = n < REPORT_FIELDS ? n : REPORT_FIELDS;
	r->params = json_object();
}

size_t
report_col(struct report *r, const char *key, const char *label)
{
	size_t c = r->n_cols < REPORT_COLS ? r->n_cols++ : REPORT_COLS - 1;

	r->col_key[c] = key;
	r->col_label[c] = label;
	return c;
}

static int
field_index(const struct report *r, const char *key)
{
	for (size_t i = 0; i < r->n_fields; i++)
		if (strcmp(r->fields[i].key, key) == 0)
			return (int)i;
	return -1;
}

void
report_set(struct report *r, size_t col, const char *key, double v)
{
	int i = field_index(r, key);

	if (i < 0 || col >= r->n_cols || !isfinite(v))
		return;
	r->v[col][i] = v;
	r->set[col][i] = true;
}

double
report_get(const struct report *r, size_t col, const char *key)
{
	int i = field_index(r, key);

	return i >= 0 && col < r->n_cols && r->set[col][i] ? r->v[col][i] : NAN;
}

void
report_ratio(struct report *r, const char *key, const char *label, double v)
{
	if (r->n_ratios == REPORT_RATIOS || !isfinite(v))
		return;
	r->ratio_key[r->n_ratios] = key;
	r->ratio_label[r->n_ratios] = label;
	r->ratio[r->n_ratios++] = v;
}

void
report_param(struct report *r, const char *key, double v)
{
	if (v == floor(v) && fabs(v) < 9e15)
		json_object_set_new(r->params, key, json_integer((json_int_t)v));
	else
		json_object_set_new(r->params, key, json_real(v));
}

void
report_param_str(struct report *r, const char *key, const char *v)
{
	json_object_set_new(r->params, key, json_string(v));
}

void
report_param_bool(struct report *r, const char *key, bool v)
{
	json_object_set_new(r->params, key, json_boolean(v));
}

static json_t *
json_value(double v, int decimals)
{
	if (decimals == 0)
		return json_integer((json_int_t)llround(v));
	double scale = pow(10.0, decimals);
	return json_real(round(v * scale) / scale);
}

static void
report_print_json(const struct report *r)
{
	json_t *root = json_object();
	json_t *results = json_object();
	json_t *ratios = json_object();

	json_object_set_new(root, "mode", json_string(r->mode));
	json_object_set(root, "params", r->params);
	for (size_t c = 0; c < r->n_cols; c++) {
		json_t *col = json_object();
		for (size_t i = 0; i < r->n_fields; i++)
			if (r->set[c][i])
				json_object_set_new(col, r->fields[i].key,
				    json_value(r->v[c][i], r->fields[i].decimals));
		json_object_set_new(results, r->col_key[c], col);
	}
	json_object_set_new(root, "results", results);
	for (size_t i = 0; i < r->n_ratios; i++)
		json_object_set_new(ratios, r->ratio_key[i], json_value(r->ratio[i], 3));
	json_object_set_new(root, "ratios", ratios);
	json_dumpf(root, stdout, JSON_COMPACT | JSON_REAL_PRECISION(12));
	putchar('\n');
	json_decref(root);
}

static void
report_print_text(const struct report *r)
{
	int w = 0;

	for (size_t i = 0; i < r->n_fields; i++)
		if ((int)strlen(r->fields[i].label) > w)
			w = (int)strlen(r->fields[i].label);
	printf("ocm-bench %s: %s\n%-*s", r->mode, r->title, w, "");
	for (size_t c = 0; c < r->n_cols; c++)
		printf(" %14s", r->col_label[c]);
	putchar('\n');
	for (size_t i = 0; i < r->n_fields; i++) {
		bool any = false;
		for (size_t c = 0; c < r->n_cols; c++)
			any = any || r->set[c][i];
		if (!any)
			continue;
		printf("%-*s", w, r->fields[i].label);
		for (size_t c = 0; c < r->n_cols; c++) {
			if (r->set[c][i])
				printf(" %14.*f", r->fields[i].decimals, r->v[c][i]);
			else
				printf(" %14s", "-");
		}
		putchar('\n');
	}
	for (size_t i = 0; i < r->n_ratios; i++)
		printf("ratio %s: %.3f\n", r->ratio_label[i], r->ratio[i]);
}

void
report_print(struct report *r, bool json)
{
	if (json)
		report_print_json(r);
	else
		report_print_text(r);
	fflush(stdout);
}

void
report_free(struct report *r)
{
	json_decref(r->params);
	r->params = NULL;
}
