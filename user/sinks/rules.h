/* SPDX-License-Identifier: MIT */
/*
 * rules.h - alert rules: parsing only (alert.c evaluates them).
 *
 * Grammar (whitespace between tokens is free):
 *   rule      := threshold | nan | stall | drops
 *   threshold := NAME OP NUMBER [ "for" INT ("step" | "steps") ]
 *   nan       := "nan" "(" NAME ")"          NaN or +-Inf; NAME "*": any metric
 *   stall     := "stall" DURATION            no step progress for that long
 *   drops     := "drops"                     any record lost
 *   OP        := ">" | ">=" | "<" | "<=" | "==" | "!="
 *   NAME      := [A-Za-z_][A-Za-z0-9_./:@-]*  |  '"' any text but '"' '"'
 *   DURATION  := NUMBER ("ms" | "s" | "m" | "h")
 * A NAME that is followed by an OP is a threshold, so metrics named nan,
 * stall or drops still work ("drops > 3").
 */
#ifndef MLPROBE_RULES_H
#define MLPROBE_RULES_H

#include <stddef.h>
#include <stdint.h>

#define RULE_NAME_MAX 128	/* the decoder's limit for names, plus NUL */
#define RULE_TEXT_MAX 256

enum rule_kind { RULE_THRESHOLD, RULE_NAN, RULE_STALL, RULE_DROPS };
enum rule_op { RULE_GT, RULE_GE, RULE_LT, RULE_LE, RULE_EQ, RULE_NE };

struct rule {
	enum rule_kind kind;
	char name[RULE_NAME_MAX];	/* threshold, nan: the metric */
	size_t name_len;
	enum rule_op op;
	double threshold;		/* finite */
	unsigned for_steps;		/* >= 1: consecutive steps */
	uint64_t stall_ns;		/* stall: > 0 */
	char text[RULE_TEXT_MAX];	/* the rule as given, trimmed */
};

struct rule_error {
	int col;		/* 1-based byte column in the rule text */
	char msg[128];
};

/* Parses one rule.  0, or -EINVAL with *err saying where and what. */
int rule_parse(const char *s, struct rule *r, struct rule_error *err);
/* True when value v meets a threshold rule's condition. */
int rule_holds(const struct rule *r, double v);
const char *rule_kind_name(enum rule_kind k);

/* Prints a parse error: one line that names the origin (e.g. "--alert" or
 * "rules.txt:3") and the column, then the rule with a caret under that
 * column. */
void rule_print_error(const char *origin, const char *s,
		      const struct rule_error *err);

#endif
