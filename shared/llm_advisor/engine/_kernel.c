/* The engine's per-minute arithmetic for every symbol in one pass: the optional native
 * kernel of llm_advisor.engine (see native.py, which loads it with ctypes).
 *
 * It computes exactly what the NumPy path computes (features/rolling.py RollingStats.push
 * and sigma_all, the z-score in facade.py, and machine.py Machine.decide), operation for
 * operation in the same order, in IEEE double arithmetic: build it without -ffast-math and
 * with -ffp-contract=off so no multiply-add is fused, and every result is bit-identical to
 * NumPy's (tests/engine/test_native_kernel.py runs both paths and compares every output).
 * It calls no libc function (sqrt is the CPU instruction with -fno-math-errno), so the
 * shared object runs on any x86-64 Linux, the Lambda runtime included.
 */
#include <stdint.h>

/* machine.py's fact bits, the state's shift and the reason code of a closed bracket;
 * native.py checks them against the Python constants before using the kernel */
enum {
    CLOSED = 0, COOLED = 1, MAXED = 2, TIMED_OUT = 3, ABORT = 4, OVERSHOOT = 5,
    MR_TRIGGER = 6, PULLBACK = 7, BROKEN = 8, TC_TRIGGER = 9, TC_ARM = 10, MR_ARM = 11,
    ATR_OK = 12, Z_UP = 13, NO_BAR = 14, OUTSIDE = 15, STATE_SHIFT = 16, R_CLOSED = 1,
    LAYOUT_LEN = 18
};

int64_t kernel_layout(int64_t *out, int64_t len)
{
    static const int64_t layout[LAYOUT_LEN] = {
        CLOSED, COOLED, MAXED, TIMED_OUT, ABORT, OVERSHOOT, MR_TRIGGER, PULLBACK, BROKEN,
        TC_TRIGGER, TC_ARM, MR_ARM, ATR_OK, Z_UP, NO_BAR, OUTSIDE, STATE_SHIFT, R_CLOSED,
    };
    for (int64_t i = 0; i < len && i < LAYOUT_LEN; i++)
        out[i] = layout[i];
    return LAYOUT_LEN;
}

/* Pointers the engine binds once (its arrays change values in place, never address). */
typedef struct {
    /* rolling window (RollingStats), every row full */
    double *ring;         /* n x w, row-major */
    int64_t *head;
    double *mean;
    double *m2;
    int64_t *since_resync;
    /* SymbolArrays */
    double *last_close;
    int64_t *last_bar_min;
    int64_t *bar_idx;
    int64_t *state;
    int64_t *side;
    int64_t *since;
    uint8_t *close_pending;
    int64_t *trades_today;
    int64_t *htf;
    double *atr_pct;
    /* the 5-minute ATR (engine/atr.py) */
    int64_t *bucket_id;
    double *b_high;
    double *b_low;
    double *b_close;
    double *prev_close5;
    double *atr5;
    /* the minute's outputs (scratch owned by the engine) */
    double *sigma;
    double *z;
    int8_t *new_state;
    int64_t *new_side;
    int64_t *new_since;
    int8_t *reason;
    uint8_t *moved;       /* a move or a signal */
    uint8_t *sig_mr;
    uint8_t *sig_tc;
    int64_t *warm_rows;   /* completed buckets of rows without an ATR yet (<= 2 per row) */
    double *warm_tr;      /* ... and their true ranges, for atr.py's warm-up lists */
    /* the transition table (machine.TABLE) */
    const int8_t *t_state;
    const int8_t *t_reason;
    const uint8_t *t_since;
    const int8_t *t_side;
    const int8_t *t_signal;
} Bound;

typedef struct {
    double sigma_epsilon;
    double cooldown_bars;
    double max_trades;
    double arm_timeout_bars;
    double mr_abort_z;
    double atr_cap;
    int64_t atr_period;
} Params;

static inline double np_maximum0(double v)
{
    /* np.maximum(v, 0.0): NaN propagates, and v wins a tie (so -0.0 stays -0.0) */
    return (v >= 0.0 || v != v) ? v : 0.0;
}

static inline double np_maximum(double a, double b)
{
    return (a >= b || a != a) ? a : b; /* NaN propagates */
}

static inline double np_fmax(double a, double b)
{
    return (b != b || a >= b) ? a : b; /* NaN is ignored */
}

static inline double np_fmin(double a, double b)
{
    return (b != b || a <= b) ? a : b;
}

/* atr.py _complete for row i: the bucket's true range, then Wilder's update, or (no ATR
 * yet) the true range handed back for the warm-up list. Returns the new warm count. */
static inline int64_t complete_bucket(const Bound *b, int64_t period, int64_t i, int64_t nwarm)
{
    const double h = b->b_high[i], lo = b->b_low[i], pc = b->prev_close5[i];
    const double tr = pc != pc ? h - lo
                               : np_maximum(h - lo, np_maximum(__builtin_fabs(h - pc),
                                                               __builtin_fabs(lo - pc)));
    const double atr = b->atr5[i];
    if (atr == atr) {
        b->atr5[i] = ((double)(period - 1) * atr + tr) / (double)period;
    } else {
        b->warm_rows[nwarm] = i;
        b->warm_tr[nwarm] = tr;
        nwarm++;
    }
    b->prev_close5[i] = b->b_close[i];
    b->bucket_id[i] = -1;
    return nwarm;
}

/* atr.py add_bars for one minute (every row): fold the bars into their 5-minute buckets,
 * completing buckets as they end. Returns how many true ranges went to ``warm_*``. */
int64_t kernel_atr(const Bound *b, const Params *p, int64_t n, int64_t mi,
                   const double *high, const double *low, const double *close,
                   const uint8_t *has)
{
    const int64_t bucket = mi / 5, last_minute = mi % 5 == 4;
    int64_t nwarm = 0;
    for (int64_t i = 0; i < n; i++) {
        if (!has[i]) { /* (a missing bar's NaN high and low leave the bucket as it is) */
            b->b_high[i] = np_fmax(b->b_high[i], high[i]);
            b->b_low[i] = np_fmin(b->b_low[i], low[i]);
            continue;
        }
        if (b->bucket_id[i] != bucket) {
            if (b->bucket_id[i] >= 0)
                nwarm = complete_bucket(b, p->atr_period, i, nwarm);
            b->b_high[i] = high[i];
            b->b_low[i] = low[i];
            b->bucket_id[i] = bucket;
        }
        b->b_high[i] = np_fmax(b->b_high[i], high[i]);
        b->b_low[i] = np_fmin(b->b_low[i], low[i]);
        b->b_close[i] = close[i];
        if (last_minute)
            nwarm = complete_bucket(b, p->atr_period, i, nwarm);
    }
    return nwarm;
}

/* One minute for n symbols: push each present close into its full window (phase bit 1),
 * then z of every row and the state machine's outcome (phase bit 2). A minute whose push
 * makes rows due a resync runs the phases apart, with RollingStats' resync between them.
 * ``cmp`` is Thresholds.cmp (5 x n, row-major). Returns the number of signals. */
int64_t kernel_minute(const Bound *b, const Params *p, int64_t n, int64_t w,
                      const double *close, const uint8_t *has, const double *cmp,
                      int64_t mi, int64_t in_window, int64_t kill, int64_t phase)
{
    const int64_t do_push = phase & 1, do_decide = phase & 2;
    const double wd = (double)w;
    const double *c_overshoot = cmp;          /* mr_arm */
    const double *c_mr_trigger = cmp + n;     /* -mr_trigger */
    const double *c_pullback = cmp + 2 * n;   /* tc_trigger */
    const double *c_broken = cmp + 3 * n;     /* -tc_trigger */
    const double *c_tc_arm = cmp + 4 * n;     /* tc_arm */
    int64_t nsig = 0;
    for (int64_t i = 0; i < n; i++) {
        const double x = close[i];
        const int64_t present = has[i] != 0;
        /* --- RollingStats.push (all rows full) */
        if (present && do_push) {
            const int64_t pos = i * w + b->head[i];
            const double old = b->ring[pos];
            const double mean = b->mean[i];
            const double d = x - old;
            const double mean_rep = mean + d / wd;
            const double m2 = b->m2[i] + d * (x - mean_rep + old - mean);
            b->mean[i] = mean_rep;
            b->m2[i] = m2;
            b->ring[pos] = x;
            int64_t h = b->head[i] + 1;
            b->head[i] = h == w ? 0 : h;
            b->since_resync[i] += 1;
            b->last_close[i] = x;
            b->last_bar_min[i] = mi;
        }
        if (!do_decide)
            continue;
        /* --- sigma_all and z (NaN where undefined or without a bar) */
        const double mu = b->mean[i];
        const double s = __builtin_sqrt(np_maximum0(b->m2[i]) / wd);
        const double absmu = __builtin_fabs(mu);
        b->sigma[i] = s;
        const double z = (s > p->sigma_epsilon * absmu) ? (x - mu) / s : __builtin_nan("");
        b->z[i] = z;
        /* --- Machine.decide: the facts, the key, the table's outcome */
        const int64_t bi = b->bar_idx[i] + present;
        b->bar_idx[i] = bi;
        const int64_t st = b->state[i];
        const int64_t sd = b->side[i];
        const int64_t since = b->since[i];
        const double age = (double)(bi - since);
        int64_t key = (int64_t)b->close_pending[i] << CLOSED;
        key |= (int64_t)(age >= p->cooldown_bars) << COOLED;
        key |= (int64_t)((double)b->trades_today[i] >= p->max_trades) << MAXED;
        key |= (int64_t)(!present) << NO_BAR;
        if (in_window) {
            const double absz = __builtin_fabs(z);
            const double sz = (double)sd * z;
            key |= (int64_t)(age > p->arm_timeout_bars) << TIMED_OUT;
            key |= (int64_t)(absz >= p->mr_abort_z) << ABORT;
            key |= (int64_t)(sz >= c_overshoot[i]) << OVERSHOOT;
            key |= (int64_t)(sz >= c_mr_trigger[i]) << MR_TRIGGER;
            key |= (int64_t)(sz <= c_pullback[i]) << PULLBACK;
            key |= (int64_t)(sz < c_broken[i]) << BROKEN;
            key |= (int64_t)(sz > c_pullback[i]) << TC_TRIGGER;
            key |= (int64_t)((double)b->htf[i] * z >= c_tc_arm[i]) << TC_ARM;
            key |= (int64_t)(absz >= c_overshoot[i]) << MR_ARM;
            key |= (int64_t)(z > 0.0) << Z_UP;
            key |= (int64_t)(!kill && b->atr_pct[i] <= p->atr_cap) << ATR_OK;
        } else {
            key |= (int64_t)1 << OUTSIDE;  /* the table ignores the other facts there */
        }
        key += st << STATE_SHIFT;
        const int8_t reason = b->t_reason[key];
        const int8_t tside = b->t_side[key];
        const int8_t sig = b->t_signal[key];
        b->new_state[i] = b->t_state[key];
        b->reason[i] = reason;
        b->new_since[i] = b->t_since[key] ? bi : since;
        b->new_side[i] = tside != 0 ? (int64_t)tside : sd;
        b->sig_mr[i] = sig == 1;
        b->sig_tc[i] = sig == 2;
        b->moved[i] = reason != 0 || sig != 0;
        nsig += sig != 0;
        if (reason == R_CLOSED)
            b->close_pending[i] = 0;
    }
    return nsig;
}
