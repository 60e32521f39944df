// SPDX-License-Identifier: MIT
/*
 * train.c - a small but real trainer, instrumented with mlprobe.
 *
 * A multi-layer perceptron (2 inputs -> 64 tanh -> 1 sigmoid) learns to
 * tell apart two interleaved spirals, generated from a fixed seed, with
 * minibatch SGD with momentum and a cosine learning-rate schedule.  It needs
 * only libc, libm and include/mlprobe.h: nothing to link, no daemon.
 *
 *   build/examples/train [--steps N] [--batch N] [--lr F] [--sleep-us N]
 *                        [--quiet]
 *   mlprobe record -o runs/demo -- build/examples/train
 *   mlprobe record -o runs/live -p $(pgrep train)   (with --sleep-us 1000)
 *
 * What it shows of the header:
 *   MLPROBE_STEP         once per step, before anything else of the step
 *   MLPROBE_SPAN_*       "step" around "data", "forward", "backward",
 *                        "optimizer"
 *   MLPROBE_METRIC       "loss", "accuracy", "lr" and "grad_norm"
 *   MLPROBE_ENABLED()    grad_norm costs a pass over the gradients, so it is
 *                        computed only while a tracer is attached
 *   MLPROBE_LOG          start, evaluation every 500 steps, NaN, finish
 * Names are string literals; log messages may live in a reused buffer,
 * since the tracer copies a message's text when the probe fires.
 */
#define _XOPEN_SOURCE 700	/* nanosleep, M_PI */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "mlprobe.h"

#define NIN 2
#define NHID 64
#define NDATA 2048
#define MAXBATCH 1024
#define EVAL_EVERY 500
#define PRINT_EVERY 200

struct model {
	double w1[NHID][NIN], b1[NHID], w2[NHID], b2;
};

/* xorshift64*: the same data and initial weights on every run. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static double rng_uniform(void)	/* [0, 1) */
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (double)((rng_state * 0x2545f4914f6cdd1dull) >> 11) / 9007199254740992.0;
}

static double rng_normal(void)	/* Box-Muller */
{
	double u = rng_uniform() + 1e-12, v = rng_uniform();

	return sqrt(-2.0 * log(u)) * cos(2.0 * M_PI * v);
}

static double data_x[NDATA][NIN], data_y[NDATA];

/* Two spirals, one per class, each one and a half turns, with noise. */
static void make_spirals(void)
{
	for (int i = 0; i < NDATA; i++) {
		int cls = i & 1;
		double t = rng_uniform() * 3.0 * M_PI;
		double r = 0.1 + t / (3.0 * M_PI);
		double a = t + cls * M_PI;

		data_x[i][0] = r * cos(a) + 0.03 * rng_normal();
		data_x[i][1] = r * sin(a) + 0.03 * rng_normal();
		data_y[i] = cls;
	}
}

static void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
	for (int h = 0; h < NHID; h++) {
		for (int k = 0; k < NIN; k++)
			m->w1[h][k] = rng_normal() * 2.0;	/* wide: spirals */
		m->w2[h] = rng_normal() / sqrt(NHID);
	}
}

/* Forward pass of one example: fills the hidden activations, returns p(1). */
static double forward(const struct model *m, const double *x, double *hid)
{
	double z = m->b2;

	for (int h = 0; h < NHID; h++) {
		double a = m->b1[h];

		for (int k = 0; k < NIN; k++)
			a += m->w1[h][k] * x[k];
		hid[h] = tanh(a);
		z += m->w2[h] * hid[h];
	}
	return 1.0 / (1.0 + exp(-z));
}

/* Binary cross-entropy, clipped away from log(0). */
static double bce(double p, double y)
{
	const double eps = 1e-12;

	return -(y * log(p + eps) + (1.0 - y) * log(1.0 - p + eps));
}

/* Mean loss and accuracy over the whole data set. */
static void evaluate(const struct model *m, double *loss, double *acc)
{
	double hid[NHID], l = 0, ok = 0;

	for (int i = 0; i < NDATA; i++) {
		double p = forward(m, data_x[i], hid);

		l += bce(p, data_y[i]);
		ok += (p >= 0.5) == (data_y[i] >= 0.5);
	}
	*loss = l / NDATA;
	*acc = ok / NDATA;
}

static void usage_exit(const char *prog)
{
	fprintf(stderr, "usage: %s [--steps N] [--batch N (1-%d)] [--lr F] "
		"[--sleep-us N] [--quiet]\n", prog, MAXBATCH);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct model m, grad, vel;
	static double bx[MAXBATCH][NIN], by[MAXBATCH], bp[MAXBATCH];
	static double bh[MAXBATCH][NHID];
	long steps = 2000, batch = 256, sleep_us = 0;
	double lr0 = 0.3, momentum = 0.9, loss0, acc0, loss, acc;
	double print_loss = 0, print_acc = 0;
	int quiet = 0, nan_seen = 0;
	char msg[160];

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		char *end = NULL;

		if (!strcmp(o, "--quiet")) {
			quiet = 1;
			continue;
		}
		if (i + 1 >= argc)
			usage_exit(argv[0]);
		if (!strcmp(o, "--steps"))
			steps = strtol(argv[++i], &end, 10);
		else if (!strcmp(o, "--batch"))
			batch = strtol(argv[++i], &end, 10);
		else if (!strcmp(o, "--lr"))
			lr0 = strtod(argv[++i], &end);
		else if (!strcmp(o, "--sleep-us"))
			sleep_us = strtol(argv[++i], &end, 10);
		else
			usage_exit(argv[0]);
		if (*end || steps < 1 || batch < 1 || batch > MAXBATCH ||
		    !(lr0 > 0) || sleep_us < 0)
			usage_exit(argv[0]);
	}

	make_spirals();
	model_init(&m);
	evaluate(&m, &loss0, &acc0);
	snprintf(msg, sizeof(msg), "training started: mlp %d-%d-1, %d examples, "
		 "%ld steps, batch %ld, lr %g", NIN, NHID, NDATA, steps, batch, lr0);
	MLPROBE_LOG(MLPROBE_INFO, msg);

	for (long step = 1; step <= steps; step++) {
		/* Cosine decay from lr0 to lr0 / 10. */
		double lr = lr0 * (0.1 + 0.45 * (1.0 + cos(M_PI * (step - 1) / steps)));
		double bloss = 0, bacc = 0;

		MLPROBE_STEP(step);
		MLPROBE_SPAN_BEGIN("step");

		MLPROBE_SPAN_BEGIN("data");
		for (long b = 0; b < batch; b++) {
			int i = (int)(rng_uniform() * NDATA);

			memcpy(bx[b], data_x[i], sizeof(bx[b]));
			by[b] = data_y[i];
		}
		MLPROBE_SPAN_END("data");

		MLPROBE_SPAN_BEGIN("forward");
		for (long b = 0; b < batch; b++) {
			bp[b] = forward(&m, bx[b], bh[b]);
			bloss += bce(bp[b], by[b]);
			bacc += (bp[b] >= 0.5) == (by[b] >= 0.5);
		}
		bloss /= batch;
		bacc /= batch;
		MLPROBE_SPAN_END("forward");

		MLPROBE_SPAN_BEGIN("backward");
		memset(&grad, 0, sizeof(grad));
		for (long b = 0; b < batch; b++) {
			double dz = (bp[b] - by[b]) / batch;	/* dL/dlogit */

			grad.b2 += dz;
			for (int h = 0; h < NHID; h++) {
				double dh = dz * m.w2[h] * (1.0 - bh[b][h] * bh[b][h]);

				grad.w2[h] += dz * bh[b][h];
				grad.b1[h] += dh;
				for (int k = 0; k < NIN; k++)
					grad.w1[h][k] += dh * bx[b][k];
			}
		}
		MLPROBE_SPAN_END("backward");

		/* A pass over every gradient: worth it only when someone looks. */
		if (MLPROBE_ENABLED()) {
			const double *g = (const double *)&grad;
			double sq = 0;

			for (size_t k = 0; k < sizeof(grad) / sizeof(double); k++)
				sq += g[k] * g[k];
			MLPROBE_METRIC("grad_norm", step, sqrt(sq));
		}

		MLPROBE_SPAN_BEGIN("optimizer");
		{
			double *w = (double *)&m, *v = (double *)&vel;
			const double *g = (const double *)&grad;

			for (size_t k = 0; k < sizeof(m) / sizeof(double); k++) {
				v[k] = momentum * v[k] - lr * g[k];
				w[k] += v[k];
			}
		}
		MLPROBE_SPAN_END("optimizer");

		MLPROBE_METRIC("loss", step, bloss);
		MLPROBE_METRIC("accuracy", step, bacc);
		MLPROBE_METRIC("lr", step, lr);
		MLPROBE_SPAN_END("step");

		if (!isfinite(bloss) && !nan_seen) {
			nan_seen = 1;
			snprintf(msg, sizeof(msg), "loss is %g at step %ld: lower "
				 "--lr (now %g)", bloss, step, lr0);
			MLPROBE_LOG(MLPROBE_WARN, msg);
			fprintf(stderr, "train: warning: %s\n", msg);
		}
		if (step % EVAL_EVERY == 0) {
			evaluate(&m, &loss, &acc);
			snprintf(msg, sizeof(msg), "eval at step %ld: loss %.4f "
				 "accuracy %.3f; checkpoint kept in memory",
				 step, loss, acc);
			MLPROBE_LOG(MLPROBE_INFO, msg);
		}
		print_loss += bloss;
		print_acc += bacc;
		if (step % PRINT_EVERY == 0) {
			if (!quiet)
				printf("step %ld loss %.3f acc %.2f\n", step,
				       print_loss / PRINT_EVERY,
				       print_acc / PRINT_EVERY);
			print_loss = print_acc = 0;
		}
		if (sleep_us) {
			struct timespec ts = { sleep_us / 1000000,
					       sleep_us % 1000000 * 1000 };

			nanosleep(&ts, NULL);
		}
	}

	evaluate(&m, &loss, &acc);
	snprintf(msg, sizeof(msg), "training finished: %ld steps, loss %.4f "
		 "(from %.4f), accuracy %.3f", steps, loss, loss0, acc);
	MLPROBE_LOG(MLPROBE_INFO, msg);
	printf("final loss %.4f (initial %.4f) accuracy %.3f\n", loss, loss0, acc);
	return nan_seen ? 1 : 0;
}
