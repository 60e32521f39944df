// SPDX-License-Identifier: MIT
/* rules.c - the alert rule parser: a hand-written recursive descent over a
 * tiny grammar (rules.h), so every error knows its column. */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "rules.h"

struct lex {
	const char *s;
	size_t pos;
	struct rule_error *err;
};

static int fail(struct lex *l, size_t pos, const char *fmt, ...)
{
	va_list ap;

	l->err->col = (int)pos + 1;
	va_start(ap, fmt);
	vsnprintf(l->err->msg, sizeof(l->err->msg), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void skip_ws(struct lex *l)
{
	while (l->s[l->pos] == ' ' || l->s[l->pos] == '\t')
		l->pos++;
}

static bool name_start(char c)
{
	return isalpha((unsigned char)c) || c == '_';
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || (c && strchr("_./:@-", c));
}

/* A bare word or a quoted name at the current position, into buf. */
static int lex_name(struct lex *l, char *buf, size_t *len, bool star)
{
	size_t start = l->pos, n;

	skip_ws(l);
	start = l->pos;
	if (star && l->s[l->pos] == '*') {
		l->pos++;
		n = 1;
		memcpy(buf, "*", 2);
	} else if (l->s[l->pos] == '"') {
		const char *e = strchr(l->s + start + 1, '"');

		if (!e)
			return fail(l, start, "unterminated '\"'");
		n = (size_t)(e - (l->s + start + 1));
		if (!n)
			return fail(l, start, "empty metric name");
		if (n >= RULE_NAME_MAX)
			return fail(l, start, "metric name longer than %d bytes",
				    RULE_NAME_MAX - 1);
		memcpy(buf, l->s + start + 1, n);
		l->pos = (size_t)(e - l->s) + 1;
	} else {
		if (!name_start(l->s[l->pos]))
			return fail(l, start, l->s[start] ? "expected a metric name"
					     : "expected a metric name, found the end");
		while (name_char(l->s[l->pos]))
			l->pos++;
		n = l->pos - start;
		if (n >= RULE_NAME_MAX)
			return fail(l, start, "metric name longer than %d bytes",
				    RULE_NAME_MAX - 1);
		memcpy(buf, l->s + start, n);
	}
	buf[n] = 0;
	*len = n;
	return 0;
}

/* A word (letters only) at the current position, not consumed. */
static size_t peek_word(struct lex *l, char *buf, size_t cap)
{
	size_t p = l->pos, n = 0;

	while (l->s[p] == ' ' || l->s[p] == '\t')
		p++;
	while (isalpha((unsigned char)l->s[p + n]) && n + 1 < cap) {
		buf[n] = l->s[p + n];
		n++;
	}
	buf[n] = 0;
	return p;
}

static int lex_number(struct lex *l, double *v, const char *what)
{
	char *end;
	size_t start;

	skip_ws(l);
	start = l->pos;
	/* strtod would take "nan", "inf" and hex; a threshold is decimal. */
	if (!isdigit((unsigned char)l->s[start]) &&
	    !((l->s[start] == '-' || l->s[start] == '+' || l->s[start] == '.') &&
	      (isdigit((unsigned char)l->s[start + 1]) || l->s[start + 1] == '.')))
		return fail(l, start, "expected %s", what);
	if (l->s[start] == '0' && (l->s[start + 1] == 'x' || l->s[start + 1] == 'X'))
		return fail(l, start, "expected %s (decimal)", what);
	errno = 0;
	*v = strtod(l->s + start, &end);
	if (end == l->s + start)
		return fail(l, start, "expected %s", what);
	if (errno == ERANGE || !isfinite(*v))
		return fail(l, start, "%s out of range", what);
	l->pos = (size_t)(end - l->s);
	return 0;
}

static int lex_op(struct lex *l, enum rule_op *op)
{
	static const struct { const char *t; enum rule_op op; } ops[] = {
		{ ">=", RULE_GE }, { "<=", RULE_LE }, { "==", RULE_EQ },
		{ "!=", RULE_NE }, { ">", RULE_GT }, { "<", RULE_LT },
	};

	skip_ws(l);
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
		size_t n = strlen(ops[i].t);

		if (!strncmp(l->s + l->pos, ops[i].t, n)) {
			l->pos += n;
			*op = ops[i].op;
			return 0;
		}
	}
	return fail(l, l->pos, "expected a comparison (>, >=, <, <=, ==, !=)");
}

static int expect_end(struct lex *l)
{
	skip_ws(l);
	if (l->s[l->pos])
		return fail(l, l->pos, "unexpected '%.16s' after the rule",
			    l->s + l->pos);
	return 0;
}

static bool at_op(struct lex *l)
{
	size_t p = l->pos;

	while (l->s[p] == ' ' || l->s[p] == '\t')
		p++;
	return strchr("<>=!", l->s[p]) && l->s[p];
}

static int parse_threshold(struct lex *l, struct rule *r)
{
	char w[16];
	size_t p;
	double n;
	int ret;

	r->kind = RULE_THRESHOLD;
	if ((ret = lex_op(l, &r->op)) || (ret = lex_number(l, &r->threshold, "a number")))
		return ret;
	r->for_steps = 1;
	p = peek_word(l, w, sizeof(w));
	if (strcmp(w, "for"))
		return expect_end(l);
	l->pos = p + 3;
	skip_ws(l);
	p = l->pos;
	if ((ret = lex_number(l, &n, "a number of steps")))
		return ret;
	if (n != floor(n) || n < 1 || n > 1e9)
		return fail(l, p, "the number of steps must be a whole number from "
			    "1 to 1000000000");
	r->for_steps = (unsigned)n;
	p = peek_word(l, w, sizeof(w));
	if (strcmp(w, "steps") && strcmp(w, "step"))
		return fail(l, p, "expected 'steps' after the number");
	l->pos = p + strlen(w);
	return expect_end(l);
}

static int parse_stall(struct lex *l, struct rule *r)
{
	static const struct { const char *u; double ns; } units[] = {
		{ "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 },
	};
	size_t p, ue;
	double v;
	int ret;

	r->kind = RULE_STALL;
	skip_ws(l);
	p = l->pos;
	if ((ret = lex_number(l, &v, "a duration such as 60s")))
		return ret;
	ue = l->pos;
	while (isalpha((unsigned char)l->s[ue]))
		ue++;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (ue - l->pos != strlen(units[i].u) ||
		    strncmp(l->s + l->pos, units[i].u, ue - l->pos))
			continue;
		v *= units[i].ns;
		if (!(v >= 1e6 && v <= 366 * 86400e9))
			return fail(l, p, "a stall duration must be from 1ms to a year");
		r->stall_ns = (uint64_t)v;
		l->pos = ue;
		return expect_end(l);
	}
	return fail(l, l->pos, "expected a unit after the duration (ms, s, m or h)");
}

int rule_parse(const char *s, struct rule *r, struct rule_error *err)
{
	struct lex l = { .s = s, .err = err };
	size_t start, end, p;
	char w[16];
	int ret;

	memset(r, 0, sizeof(*r));
	memset(err, 0, sizeof(*err));
	skip_ws(&l);
	start = l.pos;
	end = strlen(s);
	while (end > start && (s[end - 1] == ' ' || s[end - 1] == '\t'))
		end--;
	if (end == start)
		return fail(&l, start, "empty rule");
	if (end - start >= RULE_TEXT_MAX)
		return fail(&l, start, "rule longer than %d bytes", RULE_TEXT_MAX - 1);
	for (size_t i = start; i < end; i++)
		if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
			return fail(&l, i, "control character in the rule");
	memcpy(r->text, s + start, end - start);

	p = peek_word(&l, w, sizeof(w));
	if (!strcmp(w, "nan") && s[p + 3 + strspn(s + p + 3, " \t")] == '(') {
		r->kind = RULE_NAN;
		r->for_steps = 1;
		l.pos = p + 3;
		skip_ws(&l);
		l.pos++;	/* ( */
		if ((ret = lex_name(&l, r->name, &r->name_len, true)))
			return ret;
		skip_ws(&l);
		if (s[l.pos] != ')')
			return fail(&l, l.pos, "expected ')'");
		l.pos++;
		return expect_end(&l);
	}
	if (!strcmp(w, "stall") && (l.pos = p + 5, !at_op(&l)))
		return parse_stall(&l, r);
	if (!strcmp(w, "drops") && (l.pos = p + 5, !at_op(&l))) {
		r->kind = RULE_DROPS;
		return expect_end(&l);
	}
	l.pos = start;
	if ((ret = lex_name(&l, r->name, &r->name_len, false)))
		return ret;
	return parse_threshold(&l, r);
}

int rule_holds(const struct rule *r, double v)
{
	switch (r->op) {
	case RULE_GT: return v > r->threshold;
	case RULE_GE: return v >= r->threshold;
	case RULE_LT: return v < r->threshold;
	case RULE_LE: return v <= r->threshold;
	case RULE_EQ: return v == r->threshold;
	case RULE_NE: return v != r->threshold;
	}
	return 0;
}

const char *rule_kind_name(enum rule_kind k)
{
	static const char *const names[] = {
		[RULE_THRESHOLD] = "threshold", [RULE_NAN] = "nan",
		[RULE_STALL] = "stall", [RULE_DROPS] = "drops",
	};

	return (unsigned)k < sizeof(names) / sizeof(names[0]) ? names[k] : "?";
}

void rule_print_error(const char *origin, const char *s,
		      const struct rule_error *err)
{
	int col = err->col > 0 ? err->col : 1;

	fprintf(stderr, "mlprobe: %s: bad alert rule at column %d: %s\n", origin,
		col, err->msg);
	/* The rule as written (tabs shown as spaces, so the caret lines up). */
	fputs("  ", stderr);
	for (const char *c = s; *c; c++)
		fputc(*c == '\t' || (unsigned char)*c < 0x20 ? ' ' : *c, stderr);
	fprintf(stderr, "\n  %*s^\n", col - 1, "");
}
