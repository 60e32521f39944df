// SPDX-License-Identifier: MIT
/* test_rules.c - the alert rule parser: every form of the grammar, and
 * errors at the column where they are. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "sinks/rules.h"

static struct rule r;
static struct rule_error e;

static void test_threshold(void **state)
{
	(void)state;
	assert_int_equal(rule_parse("loss > 5", &r, &e), 0);
	assert_int_equal(r.kind, RULE_THRESHOLD);
	assert_string_equal(r.name, "loss");
	assert_int_equal(r.name_len, 4);
	assert_int_equal(r.op, RULE_GT);
	assert_true(r.threshold == 5);
	assert_int_equal(r.for_steps, 1);
	assert_string_equal(r.text, "loss > 5");

	assert_int_equal(rule_parse("  grad_norm>=1e2 for 3 steps  ", &r, &e), 0);
	assert_string_equal(r.name, "grad_norm");
	assert_int_equal(r.op, RULE_GE);
	assert_true(r.threshold == 100);
	assert_int_equal(r.for_steps, 3);
	assert_string_equal(r.text, "grad_norm>=1e2 for 3 steps");

	assert_int_equal(rule_parse("train/acc < -0.5 for 1 step", &r, &e), 0);
	assert_string_equal(r.name, "train/acc");
	assert_int_equal(r.op, RULE_LT);
	assert_true(r.threshold == -0.5);

	assert_int_equal(rule_parse("\"loss (val)\" != 0", &r, &e), 0);
	assert_string_equal(r.name, "loss (val)");
	assert_int_equal(r.op, RULE_NE);
	/* Names that are keywords are metrics when a comparison follows. */
	assert_int_equal(rule_parse("drops > 3", &r, &e), 0);
	assert_int_equal(r.kind, RULE_THRESHOLD);
	assert_string_equal(r.name, "drops");
	assert_int_equal(rule_parse("stall<=1", &r, &e), 0);
	assert_int_equal(r.kind, RULE_THRESHOLD);
	assert_int_equal(rule_parse("nan == 2", &r, &e), 0);
	assert_int_equal(r.kind, RULE_THRESHOLD);
	assert_string_equal(r.name, "nan");
}

static void test_holds(void **state)
{
	static const struct { const char *rule; double v; int want; } c[] = {
		{ "x > 5", 5, 0 }, { "x > 5", 5.0001, 1 }, { "x >= 5", 5, 1 },
		{ "x < 5", 5, 0 }, { "x <= 5", 5, 1 }, { "x == 5", 5, 1 },
		{ "x != 5", 5, 0 }, { "x > 5", NAN, 0 }, { "x != 5", NAN, 1 },
		{ "x > 5", INFINITY, 1 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		assert_int_equal(rule_parse(c[i].rule, &r, &e), 0);
		assert_int_equal(rule_holds(&r, c[i].v), c[i].want);
	}
}

static void test_nan_stall_drops(void **state)
{
	(void)state;
	assert_int_equal(rule_parse("nan(loss)", &r, &e), 0);
	assert_int_equal(r.kind, RULE_NAN);
	assert_string_equal(r.name, "loss");
	assert_int_equal(rule_parse("nan ( * )", &r, &e), 0);
	assert_string_equal(r.name, "*");
	assert_int_equal(rule_parse("stall 60s", &r, &e), 0);
	assert_int_equal(r.kind, RULE_STALL);
	assert_true(r.stall_ns == 60000000000ull);
	assert_int_equal(rule_parse("stall 250ms", &r, &e), 0);
	assert_true(r.stall_ns == 250000000ull);
	assert_int_equal(rule_parse("stall 1.5m", &r, &e), 0);
	assert_true(r.stall_ns == 90000000000ull);
	assert_int_equal(rule_parse("stall 2h", &r, &e), 0);
	assert_true(r.stall_ns == 7200000000000ull);
	assert_int_equal(rule_parse("drops", &r, &e), 0);
	assert_int_equal(r.kind, RULE_DROPS);
}

/* rule, column of the error, a word of the message */
static const struct { const char *rule; int col; const char *msg; } bad[] = {
	{ "", 1, "empty" },
	{ "   ", 4, "empty" },
	{ "loss >> 5", 7, "number" },
	{ "loss 5", 6, "comparison" },
	{ "loss >", 7, "number" },
	{ "loss > five", 8, "number" },
	{ "loss > nan", 8, "number" },
	{ "loss > 0x10", 8, "decimal" },
	{ "loss > 1e999", 8, "range" },
	{ "loss > 5 extra", 10, "unexpected" },
	{ "loss > 5 for", 13, "number of steps" },
	{ "loss > 5 for 0 steps", 14, "whole number" },
	{ "loss > 5 for 2.5 steps", 14, "whole number" },
	{ "loss > 5 for 3", 15, "steps" },
	{ "loss > 5 for 3 apples", 16, "steps" },
	{ "> 5", 1, "metric name" },
	{ "5 > loss", 1, "metric name" },
	{ "nan(loss", 9, "')'" },
	{ "nan()", 5, "metric name" },
	{ "nan(loss) x", 11, "unexpected" },
	{ "stall", 6, "duration" },
	{ "stall 60", 9, "unit" },
	{ "stall 60 s", 9, "unit" },
	{ "stall 60sec", 9, "unit" },
	{ "stall 0s", 7, "1ms" },
	{ "stall -5s", 7, "1ms" },
	{ "drops 5", 7, "unexpected" },
	{ "\"loss > 5", 1, "unterminated" },
	{ "\"\" > 5", 1, "empty metric name" },
	{ "loss > 5\x01", 9, "control" },
};

static void test_errors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = rule_parse(bad[i].rule, &r, &e);

		if (ret != -EINVAL || e.col != bad[i].col || !strstr(e.msg, bad[i].msg))
			fail_msg("'%s': ret %d, column %d '%s' (want column %d, '%s')",
				 bad[i].rule, ret, e.col, e.msg, bad[i].col,
				 bad[i].msg);
	}
}

static void test_limits(void **state)
{
	char buf[400];

	(void)state;
	memset(buf, 'a', 127);
	strcpy(buf + 127, " > 1");
	assert_int_equal(rule_parse(buf, &r, &e), 0);
	assert_int_equal(r.name_len, 127);
	memset(buf, 'a', 128);
	strcpy(buf + 128, " > 1");
	assert_int_equal(rule_parse(buf, &r, &e), -EINVAL);
	assert_int_equal(e.col, 1);
	memset(buf, ' ', 300);
	strcpy(buf + 300, "x > 1");
	assert_int_equal(rule_parse(buf, &r, &e), 0);	/* blanks are trimmed */
	memset(buf, 'b', 120);
	memset(buf + 120, ' ', 150);
	strcpy(buf + 270, "> 1");
	assert_int_equal(rule_parse(buf, &r, &e), -EINVAL);
	assert_non_null(strstr(e.msg, "longer"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_holds),
		cmocka_unit_test(test_nan_stall_drops),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
