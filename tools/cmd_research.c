/* cmd_research.c - `tickwire research`: reproductions of published
 * market-making results on the project's own quote functions. Today:
 * `as2008`, the Monte Carlo of Avellaneda & Stoikov, Quantitative Finance
 * 8(3), 2008, section 4. Seeded and deterministic. Main thread. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "strategy/quote.h"
#include "tools/cmd.h"

/* The paper's simulation parameters. */
#define AS_S0 100.0
#define AS_T 1.0
#define AS_SIGMA 2.0
#define AS_DT 0.005
#define AS_K 1.5
#define AS_A 140.0
#define AS_Q0 0.0
#define AS_PATHS_DEFAULT 1000
#define AS_PATHS_MAX 10000000L

/* xoshiro256** (Blackman & Vigna) seeded through splitmix64: our own PRNG so
 * results do not depend on the C library. */
struct research_rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void rng_seed(struct research_rng *r, uint64_t seed)
{
	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct research_rng *r)
{
	uint64_t *s = r->s, res = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return res;
}

/* Uniform in [0, 1) with 53 random bits. */
static double rng_uniform(struct research_rng *r)
{
	return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

/* Running mean and variance (Welford). */
struct research_stat {
	double n, mean, m2;
};

static void stat_add(struct research_stat *st, double x)
{
	double d = x - st->mean;

	st->n += 1.0;
	st->mean += d / st->n;
	st->m2 += d * (x - st->mean);
}

static double stat_std(const struct research_stat *st)
{
	return st->n > 1.0 ? sqrt(st->m2 / (st->n - 1.0)) : 0.0;
}

enum as_strategy { AS_INVENTORY, AS_SYMMETRIC };

/* Which total spread the strategies quote. AS_SPREAD_PAPER is what the
 * paper's tables print and what reproduces its figures: the constant
 * (2/gamma) ln(1 + gamma/k). AS_SPREAD_FULL adds the gamma sigma^2 (T - t)
 * term of the paper's approximate solution (as_spread). */
enum as_spread_def { AS_SPREAD_PAPER, AS_SPREAD_FULL };

struct as_result {
	struct research_stat spread, profit, final_q;
};

/* One path of 200 steps. Each step: quotes from strategy/quote.c around the
 * reservation price r = s - q gamma sigma^2 (T - t) (inventory) or the mid
 * (symmetric), the mid moves +-sigma sqrt(dt), then each side fills with
 * probability A exp(-k delta) dt, delta measured from the new mid. */
static void as_run_path(double gamma, enum as_strategy strat, enum as_spread_def def,
			struct research_rng *rng, struct as_result *res)
{
	const int steps = (int)lround(AS_T / AS_DT);
	const double ds = AS_SIGMA * sqrt(AS_DT);
	double s = AS_S0, q = AS_Q0, x = 0.0;

	for (int i = 0; i < steps; i++) {
		double tau = AS_T - i * AS_DT, bid, ask, p_bid, p_ask, half, mid;

		/* as_spread with tau = 0 is exactly (2/gamma) ln(1 + gamma/k). */
		half = 0.5 * as_spread(gamma, AS_SIGMA, def == AS_SPREAD_FULL ? tau : 0.0, AS_K);
		mid = strat == AS_INVENTORY ? as_reservation_price(s, q, gamma, AS_SIGMA, tau) : s;
		bid = mid - half;
		ask = mid + half;
		stat_add(&res->spread, ask - bid);
		s += rng_uniform(rng) < 0.5 ? ds : -ds;
		p_bid = AS_A * exp(-AS_K * (s - bid)) * AS_DT;
		p_ask = AS_A * exp(-AS_K * (ask - s)) * AS_DT;
		if (rng_uniform(rng) < p_bid) {
			q += 1.0;
			x -= bid;
		}
		if (rng_uniform(rng) < p_ask) {
			q -= 1.0;
			x += ask;
		}
	}
	stat_add(&res->profit, x + q * s);
	stat_add(&res->final_q, q);
}

static void research_usage(FILE *f)
{
	fprintf(f, "usage: tickwire research as2008 [--paths N] [--seed N] [--spread paper|full]\n\n"
		   "Runs the Monte Carlo of Avellaneda & Stoikov (2008): s0=100, T=1, sigma=2,\n"
		   "dt=0.005, k=1.5, A=140, q0=0, gamma 0.1, 0.01 and 1, the inventory strategy\n"
		   "(quotes around the reservation price) and the symmetric one (same spread\n"
		   "around the mid). One line per gamma and strategy, with standard errors:\n"
		   "  gamma=G strategy=S spread=S profit=P std_profit=SP final_q=Q std_q=SQ\n"
		   "  se_profit=. se_std_profit=. se_final_q=. se_std_q=.\n\n"
		   "  --paths N        simulated paths per gamma and strategy (default 1000)\n"
		   "  --seed N         PRNG seed (default 1); same seed, same output\n"
		   "  --spread paper   quoted spread (2/gamma) ln(1 + gamma/k), as the paper's\n"
		   "                   tables print it (default)\n"
		   "  --spread full    plus gamma sigma^2 (T - t), the approximate solution\n"
		   "  -h, --help       this text\n\n"
		   "exit status: 0 done, 64 bad options, 74 write error\n");
}

static int parse_u64(const char *s, uint64_t *v)
{
	char *end;
	unsigned long long x;

	if (!s || !*s || *s == '-')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 0);
	if (errno || *end)
		return -EINVAL;
	*v = (uint64_t)x;
	return 0;
}

static int run_as2008(long paths, uint64_t seed, enum as_spread_def def, FILE *out)
{
	static const double gammas[] = { 0.1, 0.01, 1.0 };
	static const char *const names[] = { "inventory", "symmetric" };

	for (size_t g = 0; g < sizeof(gammas) / sizeof(gammas[0]); g++) {
		for (int st = AS_INVENTORY; st <= AS_SYMMETRIC; st++) {
			struct as_result res;
			struct research_rng rng;

			memset(&res, 0, sizeof(res));
			/* One independent stream per (gamma, strategy). */
			rng_seed(&rng, seed ^ (0x100000001b3ULL * (g * 2 + (size_t)st + 1)));
			for (long p = 0; p < paths; p++)
				as_run_path(gammas[g], (enum as_strategy)st, def, &rng, &res);
			/* Standard errors: of a mean, sd / sqrt(n); of a standard
			 * deviation, sd / sqrt(2 (n - 1)) (normal approximation). */
			fprintf(out,
				"gamma=%g strategy=%s spread=%.2f profit=%.2f std_profit=%.2f "
				"final_q=%.3f std_q=%.2f se_profit=%.3f se_std_profit=%.3f "
				"se_final_q=%.3f se_std_q=%.3f\n",
				gammas[g], names[st], res.spread.mean, res.profit.mean,
				stat_std(&res.profit), res.final_q.mean, stat_std(&res.final_q),
				stat_std(&res.profit) / sqrt((double)paths),
				stat_std(&res.profit) / sqrt(2.0 * (double)(paths - 1)),
				stat_std(&res.final_q) / sqrt((double)paths),
				stat_std(&res.final_q) / sqrt(2.0 * (double)(paths - 1)));
		}
	}
	return fflush(out) || ferror(out) ? EX_IOERR : 0;
}

int cmd_research(int argc, char **argv, FILE *out, FILE *err)
{
	static const struct option opts[] = {
		{ "paths", required_argument, NULL, 'p' },
		{ "seed", required_argument, NULL, 's' },
		{ "spread", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t paths = AS_PATHS_DEFAULT, seed = 1;
	enum as_spread_def def = AS_SPREAD_PAPER;
	int c;

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_u64(optarg, &paths) || paths < 2 || paths > AS_PATHS_MAX) {
				fprintf(err, "tickwire research: --paths wants 2..%ld, got '%s'\n",
					AS_PATHS_MAX, optarg);
				return EX_USAGE;
			}
			break;
		case 's':
			if (parse_u64(optarg, &seed)) {
				fprintf(err, "tickwire research: bad --seed '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case 'd':
			if (strcmp(optarg, "paper") == 0) {
				def = AS_SPREAD_PAPER;
			} else if (strcmp(optarg, "full") == 0) {
				def = AS_SPREAD_FULL;
			} else {
				fprintf(err, "tickwire research: --spread wants paper or full, got '%s'\n",
					optarg);
				return EX_USAGE;
			}
			break;
		case 'h': research_usage(out); return 0;
		default:
			fprintf(err, "tickwire research: unknown or incomplete option '%s'\n",
				argv[optind - 1]);
			research_usage(err);
			return EX_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(err, "tickwire research: which study? (as2008)\n");
		research_usage(err);
		return EX_USAGE;
	}
	if (strcmp(argv[optind], "as2008") != 0) {
		fprintf(err, "tickwire research: unknown study '%s'\n", argv[optind]);
		return EX_USAGE;
	}
	if (optind + 1 < argc) {
		fprintf(err, "tickwire research: unexpected argument '%s'\n", argv[optind + 1]);
		return EX_USAGE;
	}
	return run_as2008((long)paths, seed, def, out);
}
