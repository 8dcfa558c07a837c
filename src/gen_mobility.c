/*
 * Where a generated subscriber is (see gen_int.h): a synthetic network of
 * towns and cells, and each subscriber's movements through it, after the
 * CDR studies of human mobility.  docs/generator.md gives the model and
 * its sources; in short:
 *
 * The network.  A region holding the population at the UK's average
 * density, towns of Zipf sizes (the k-th largest holds 1/k of the urban
 * population) at an urban density, rural people spread evenly.  Cells are
 * dimensioned to load, one per GEN_SUBS_PER_CELL subscribers: a town gets
 * cells in proportion to its people, placed as its people are, and rural
 * cells lie evenly over the region.  Cells are numbered along a Hilbert
 * curve and cut into location areas of 40 (the LAC of the cell id), areas
 * into districts and districts into regions.
 *
 * A subscriber.  A home cell drawn evenly (each cell serves about as
 * many residents); for most, a place of work or study at a distance
 * drawn from the displacement law of González et al. 2008.  A day follows a
 * diary (as in DITRAS, Pappalardo and Simini 2018): at home at night, at work
 * in weekday working hours, and between them and on days off the exploration
 * and preferential return model of Song et al. 2010: after each stay (its
 * length from their waiting-time law) a new place with probability rho *
 * S^-gamma, S the places seen so far, else a known one with the Zipf frequency
 * of its rank.  A new place lies at a distance drawn from the displacement law
 * around home; its cell is the one nearest to it.
 *
 * A subscriber's whole trajectory is a function of the seed and its
 * index alone (draws are hashes of subscriber, place and stay start), so
 * it does not depend on anyone else's activity; the stays between two of
 * its records are simulated when the second is written.  State: 16 bytes
 * a subscriber.
 */
#include "gen_int.h"

#include <math.h>
#include <stdlib.h>

/* The region and its towns.  UK population density: 275 per km2 (ONS,
 * mid-2020 estimates); built-up areas are of the order of 4,000 per km2;
 * 17% of England's people live in rural areas (Defra). */
#define MOB_DENSITY          275.0
#define MOB_URBAN_DENSITY    4000.0
#define MOB_RURAL_SHARE      0.17
#define MOB_SIDE_MIN         5.0 /* km */
#define MOB_CELLS_PER_TOWN   10  /* urban cells a town, on average */
#define MOB_AREA_CELLS       40  /* cells of a location area (put_cell's LAC) */
#define MOB_DISTRICT_AREAS   8
#define MOB_REGION_DISTRICTS 8
#define MOB_LAT0             52.0 /* south-west corner of the region */
#define MOB_LON0             -1.5

/* People.  Assumptions, not fitted: the share with a weekday anchor
 * (about half of the UK population is in work, ONS; pupils and students
 * have one too), and how regularly the diary is kept. */
#define MOB_WORKER_SHARE  0.6
#define MOB_HOME_AT_NIGHT 0.9
#define MOB_AT_WORK       0.8
#define MOB_NIGHT_START   (22 * 60) /* minutes of the day, UTC */
#define MOB_NIGHT_END     (7 * 60)
#define MOB_WORK_START    (8 * 60)
#define MOB_WORK_END      (17 * 60)

/* Song, Koren, Wang and Barabási 2010: exploration rho * S^-gamma,
 * visitation frequency of the k-th place ~ k^-zeta, waiting times
 * P(t) ~ t^-(1+beta) exp(-t/tau); scikit-mobility's EPR takes 20 minutes
 * as the shortest stay. */
#define MOB_RHO       0.6
#define MOB_GAMMA     0.21
#define MOB_ZETA      1.2
#define MOB_WAIT_BETA 0.8
#define MOB_WAIT_TAU  (17.0 * 60.0) /* minutes */
#define MOB_WAIT_MIN  20.0
#define MOB_WAIT_MAX  (10.0 * MOB_WAIT_TAU)

/* González, Hidalgo and Barabási 2008: displacements
 * P(r) ~ (r + r0)^-beta exp(-r/kappa), r0 = 1.5 km, beta = 1.75,
 * kappa = 80 km (their data set D2). */
#define MOB_JUMP_R0    1.5
#define MOB_JUMP_BETA  1.75
#define MOB_JUMP_KAPPA 80.0

/* The last minute a stay may start: stays end at most MOB_WAIT_MAX
 * later, in 32 bits. */
#define MOB_LAST (UINT32_MAX - 20000u)

#define MOB_GRID_MAX 2048 /* buckets a side */

#define MOB_WORKER     1 /* mob_sub_t.flags */
#define MOB_CELL_KNOWN 2

#define K_SUB   0x9e3779b97f4a7c15ULL
#define K_STAY  0xc2b2ae3d27d4eb4fULL
#define K_PLACE 0x165667b19e3779f9ULL
#define K_HOME  0x27d4eb2f165667c5ULL
#define K_TWO   0x85ebca77c2b2ae63ULL

/* [0, 1) from the top 53 bits. */
static inline double unit(uint64_t r)
{
        return (double)(r >> 11) * 0x1.0p-53;
}

/* A probability as a threshold for a 32-bit draw. */
static uint32_t threshold(double p)
{
        if (p >= 1.0)
                return UINT32_MAX;
        return p <= 0.0 ? 0 : (uint32_t)(p * 4294967296.0);
}

static uint64_t sub_key(const mob_t *mob, uint32_t sub)
{
        return mob->seed ^ ((uint64_t)sub * K_SUB);
}

/* --- The network ---------------------------------------------------- */

/* Index of (x, y) on the Hilbert curve over a 2^16 x 2^16 grid. */
static uint64_t hilbert(uint32_t x, uint32_t y)
{
        uint64_t d = 0;
        uint32_t s, rx, ry;

        for (s = 1u << 15; s > 0; s >>= 1) {
                rx = (x & s) > 0;
                ry = (y & s) > 0;
                d += (uint64_t)s * s * ((3 * rx) ^ ry);
                if (ry == 0) {
                        if (rx == 1) {
                                x = s - 1 - x;
                                y = s - 1 - y;
                        }
                        uint32_t t = x;
                        x = y;
                        y = t;
                }
        }
        return d;
}

typedef struct {
        uint64_t key;
        uint32_t i;
} order_t;

static int cmp_order(const void *a, const void *b)
{
        const order_t *x = a, *y = b;

        if (x->key != y->key)
                return x->key < y->key ? -1 : 1;
        return x->i < y->i ? -1 : x->i > y->i;
}

static double clampd(double v, double lo, double hi)
{
        return v < lo ? lo : v > hi ? hi : v;
}

/* A standard normal pair (Box-Muller) from two draws. */
static void gauss2(uint64_t a, uint64_t b, double *x, double *y)
{
        double r = sqrt(-2.0 * log(1.0 - unit(a)));
        double th = 6.283185307179586 * unit(b);

        *x = r * cos(th);
        *y = r * sin(th);
}

/* Places the towns and the cells, numbers the cells along the Hilbert
 * curve, and sets the grid's step from the densest town core.  Draws
 * come from their own stream: the records' stream is not touched. */
static int build_network(mob_t *mob, uint32_t nsub, uint32_t ncells,
                         uint64_t salt)
{
        uint64_t x = salt ^ 0x6a09e667f3bcc909ULL;
        uint32_t rural = (uint32_t)lround(ncells * MOB_RURAL_SHARE);
        uint32_t urban = ncells - rural;
        uint32_t ntowns, t, i, c, given = 0;
        double wsum = 0.0, urban_people, step;
        float *cx = NULL, *cy = NULL, *tx = NULL, *ty = NULL, *ts = NULL;
        uint16_t *ctown = NULL;
        uint32_t *tcells = NULL;
        order_t *order = NULL;
        int rc = CDR_ERR_NOMEM;

        if (urban == 0) {
                urban = 1;
                rural = ncells - 1;
        }
        ntowns = (urban + MOB_CELLS_PER_TOWN - 1) / MOB_CELLS_PER_TOWN;
        mob->ncells = ncells;
        mob->ntowns = ntowns;
        mob->side = sqrt((double)nsub / MOB_DENSITY);
        if (mob->side < MOB_SIDE_MIN)
                mob->side = MOB_SIDE_MIN;
        step = mob->side;
        mob->cell_x = malloc(ncells * sizeof(*mob->cell_x));
        mob->cell_y = malloc(ncells * sizeof(*mob->cell_y));
        mob->cell_town = malloc(ncells * sizeof(*mob->cell_town));
        cx = malloc(ncells * sizeof(*cx));
        cy = malloc(ncells * sizeof(*cy));
        ctown = malloc(ncells * sizeof(*ctown));
        tx = malloc(ntowns * sizeof(*tx));
        ty = malloc(ntowns * sizeof(*ty));
        ts = malloc(ntowns * sizeof(*ts));
        tcells = calloc(ntowns, sizeof(*tcells));
        order = malloc(ncells * sizeof(*order));
        if (!mob->cell_x || !mob->cell_y || !mob->cell_town || !cx || !cy ||
            !ctown || !tx || !ty || !ts || !tcells || !order)
                goto out;

        /* Zipf sizes; cells in proportion, every town at least one; the
         * spread of a town's people (and cells) from its size at the
         * urban density. */
        for (t = 0; t < ntowns; t++)
                wsum += 1.0 / (t + 1.0);
        urban_people = (double)nsub * (1.0 - MOB_RURAL_SHARE);
        for (t = 0; t < ntowns; t++) {
                double w = 1.0 / (t + 1.0) / wsum;
                tcells[t] = (uint32_t)(w * urban);
                if (tcells[t] == 0)
                        tcells[t] = 1;
                given += tcells[t];
                ts[t] = (float)sqrt(urban_people * w /
                                    (6.283185307179586 * MOB_URBAN_DENSITY));
                if (ts[t] < 0.2f)
                        ts[t] = 0.2f;
        }
        /* what rounding left over goes to the largest towns, in turn */
        for (t = 0; given < urban; t = (t + 1) % ntowns, given++)
                tcells[t]++;
        while (given > urban) /* ntowns <= urban: this ends */
                for (t = ntowns; given > urban && t-- > 0;)
                        if (tcells[t] > 1) {
                                tcells[t]--;
                                given--;
                        }

        /* Town centres: evenly over the region, apart from the larger
         * towns where a few tries allow. */
        for (t = 0; t < ntowns; t++) {
                int tries;
                for (tries = 0; tries < 32; tries++) {
                        double s = ts[t];
                        double m = s * 2.0 < mob->side / 4 ? s * 2.0 : 0.0;
                        uint32_t j, lim = t < 64 ? t : 64;
                        int ok = 1;
                        tx[t] = (float)(m + unit(splitmix64(&x)) *
                                                (mob->side - 2 * m));
                        ty[t] = (float)(m + unit(splitmix64(&x)) *
                                                (mob->side - 2 * m));
                        for (j = 0; j < lim && ok; j++) {
                                double dx = tx[t] - tx[j], dy = ty[t] - ty[j];
                                double d = 2.5 * (s + ts[j]);
                                ok = dx * dx + dy * dy >= d * d;
                        }
                        if (ok)
                                break;
                }
                /* the grid resolves the densest core: a cell a bucket */
                if (tcells[t] >= 4) {
                        double core =
                            ts[t] * sqrt(6.283185307179586 / (double)tcells[t]);
                        if (core < step)
                                step = core;
                }
        }

        /* Cells where the people are. */
        c = 0;
        for (t = 0; t < ntowns; t++) {
                for (i = 0; i < tcells[t]; i++, c++) {
                        double gx, gy;
                        uint64_t a = splitmix64(&x), b = splitmix64(&x);
                        gauss2(a, b, &gx, &gy);
                        cx[c] =
                            (float)clampd(tx[t] + gx * ts[t], 0.0, mob->side);
                        cy[c] =
                            (float)clampd(ty[t] + gy * ts[t], 0.0, mob->side);
                        ctown[c] = (uint16_t)(t + 1);
                }
        }
        for (; c < ncells; c++) {
                cx[c] = (float)(unit(splitmix64(&x)) * mob->side);
                cy[c] = (float)(unit(splitmix64(&x)) * mob->side);
                ctown[c] = 0;
        }

        /* Numbered along the Hilbert curve: areas of consecutive cells
         * are compact. */
        for (c = 0; c < ncells; c++) {
                uint32_t qx = (uint32_t)(cx[c] / mob->side * 65535.0);
                uint32_t qy = (uint32_t)(cy[c] / mob->side * 65535.0);
                order[c].key = hilbert(qx, qy);
                order[c].i = c;
        }
        qsort(order, ncells, sizeof(*order), cmp_order);
        for (c = 0; c < ncells; c++) {
                mob->cell_x[c] = cx[order[c].i];
                mob->cell_y[c] = cy[order[c].i];
                mob->cell_town[c] = ctown[order[c].i];
        }
        mob->grid_step = step;
        rc = CDR_OK;
out:
        free(cx);
        free(cy);
        free(ctown);
        free(tx);
        free(ty);
        free(ts);
        free(tcells);
        free(order);
        return rc;
}

static uint32_t bucket_of(const mob_t *mob, double v)
{
        double b = v / mob->grid_step;

        if (b < 0)
                return 0;
        return b >= mob->grid_n ? mob->grid_n - 1 : (uint32_t)b;
}

/* A uniform grid of buckets over the region, fine enough for about one
 * cell a bucket in the densest core; each bucket also knows a cell of
 * the nearest bucket that has one (by a breadth-first fill), for points
 * far from any cell. */
static int build_grid(mob_t *mob)
{
        uint32_t n = (uint32_t)ceil(mob->side / mob->grid_step);
        uint32_t i, b, nb, head = 0, tail = 0;
        uint32_t *fill = NULL;

        if (n < 1)
                n = 1;
        if (n > MOB_GRID_MAX)
                n = MOB_GRID_MAX;
        nb = n * n;
        mob->grid_n = n;
        mob->grid_step = mob->side / n;
        mob->grid_start = calloc((size_t)nb + 1, sizeof(*mob->grid_start));
        mob->grid_cells = malloc(mob->ncells * sizeof(*mob->grid_cells));
        mob->grid_near = malloc((size_t)nb * sizeof(*mob->grid_near));
        fill = malloc((size_t)nb * sizeof(*fill));
        if (!mob->grid_start || !mob->grid_cells || !mob->grid_near || !fill) {
                free(fill);
                return CDR_ERR_NOMEM;
        }
        for (i = 0; i < mob->ncells; i++)
                mob->grid_start[bucket_of(mob, mob->cell_y[i]) * n +
                                bucket_of(mob, mob->cell_x[i]) + 1]++;
        for (b = 0; b < nb; b++) {
                mob->grid_start[b + 1] += mob->grid_start[b];
                fill[b] = mob->grid_start[b];
        }
        for (i = 0; i < mob->ncells; i++)
                mob->grid_cells[fill[bucket_of(mob, mob->cell_y[i]) * n +
                                     bucket_of(mob, mob->cell_x[i])]++] =
                    (uint16_t)i;
        /* breadth-first from the buckets that hold cells; fill is the
         * queue now */
        for (b = 0; b < nb; b++) {
                mob->grid_near[b] = UINT16_MAX;
                if (mob->grid_start[b + 1] > mob->grid_start[b]) {
                        mob->grid_near[b] = mob->grid_cells[mob->grid_start[b]];
                        fill[tail++] = b;
                }
        }
        while (head < tail) {
                uint32_t q = fill[head++], qx = q % n, qy = q / n;
                uint32_t next[4] = {qx > 0 ? q - 1 : q, qx + 1 < n ? q + 1 : q,
                                    qy > 0 ? q - n : q, qy + 1 < n ? q + n : q};
                int k;
                for (k = 0; k < 4; k++) {
                        if (mob->grid_near[next[k]] == UINT16_MAX) {
                                mob->grid_near[next[k]] = mob->grid_near[q];
                                fill[tail++] = next[k];
                        }
                }
        }
        free(fill);
        return CDR_OK;
}

/* The cell that serves a phone at (x, y): the nearest of the cells in
 * the point's bucket and the eight around it, or, where those hold none
 * (open country), the cell its bucket knows. */
static uint32_t nearest_cell(const mob_t *mob, double x, double y)
{
        uint32_t n = mob->grid_n;
        uint32_t bx = bucket_of(mob, x), by = bucket_of(mob, y);
        uint32_t x0 = bx > 0 ? bx - 1 : 0, x1 = bx + 1 < n ? bx + 1 : bx;
        uint32_t y0 = by > 0 ? by - 1 : 0, y1 = by + 1 < n ? by + 1 : by;
        double best = INFINITY;
        uint32_t cell = mob->grid_near[by * n + bx];
        uint32_t i, j;

        for (j = y0; j <= y1; j++) {
                uint32_t row = j * n;
                for (i = mob->grid_start[row + x0];
                     i < mob->grid_start[row + x1 + 1]; i++) {
                        uint32_t c = mob->grid_cells[i];
                        double dx = mob->cell_x[c] - x, dy = mob->cell_y[c] - y;
                        double d = dx * dx + dy * dy;
                        if (d < best) {
                                best = d;
                                cell = c;
                        }
                }
        }
        return cell;
}

/* --- The laws, as tables -------------------------------------------- */

/* Quantiles (i + 0.5) / n, i < n, of the density f on [lo, hi], by
 * integration over a geometric grid (the densities are heavy-tailed). */
static void quantiles(double (*f)(double), double lo, double hi, float *out,
                      size_t n)
{
        enum { STEPS = 1 << 16 };
        double off = lo > 0 ? 0.0 : 1.0; /* a grid from 0 starts at 1 */
        double a = log(lo + off), b = log(hi + off);
        double total = 0.0, acc = 0.0, prev;
        size_t i, k = 0;
        int pass;

        for (pass = 0; pass < 2; pass++) {
                prev = f(lo) * (lo + off);
                acc = 0.0;
                for (i = 1; i <= STEPS; i++) {
                        double u = a + (b - a) * (double)i / STEPS;
                        double v = exp(u);
                        double cur = f(v - off) * v;
                        double step = (cur + prev) / 2.0 * (b - a) / STEPS;
                        prev = cur;
                        if (pass == 1) {
                                while (k < n && acc + step > ((double)k + 0.5) /
                                                                 (double)n *
                                                                 total) {
                                        out[k++] = (float)(v - off);
                                }
                        }
                        acc += step;
                }
                total = acc;
        }
        while (k < n)
                out[k++] = (float)hi;
}

static double jump_density(double r)
{
        return pow(r + MOB_JUMP_R0, -MOB_JUMP_BETA) * exp(-r / MOB_JUMP_KAPPA);
}

static double wait_density(double t)
{
        return pow(t, -1.0 - MOB_WAIT_BETA) * exp(-t / MOB_WAIT_TAU);
}

static void build_tables(mob_t *mob)
{
        float waits[GEN_MOB_TABLE];
        double acc = 0.0, reach = mob->side * 1.5;
        uint32_t i;

        if (reach > 10.0 * MOB_JUMP_KAPPA)
                reach = 10.0 * MOB_JUMP_KAPPA;
        quantiles(jump_density, 0.0, reach, mob->jump, GEN_MOB_TABLE);
        quantiles(wait_density, MOB_WAIT_MIN, MOB_WAIT_MAX, waits,
                  GEN_MOB_TABLE);
        for (i = 0; i < GEN_MOB_TABLE; i++)
                mob->wait[i] = (uint16_t)lround(waits[i]);
        for (i = 0; i < 256; i++) {
                mob->dir_x[i] = (float)cos(6.283185307179586 * (i + 0.5) / 256);
                mob->dir_y[i] = (float)sin(6.283185307179586 * (i + 0.5) / 256);
        }

        mob->p_new[0] = UINT32_MAX;
        for (i = 1; i <= GEN_MOB_PLACES; i++)
                mob->p_new[i] = threshold(MOB_RHO * pow((double)i, -MOB_GAMMA));
        for (i = 0; i < GEN_MOB_PLACES; i++) {
                acc += pow(i + 1.0, -MOB_ZETA);
                mob->zipf_cdf[i] = acc;
        }
        mob->home_night = threshold(MOB_HOME_AT_NIGHT);
        mob->at_work = threshold(MOB_AT_WORK);
}

/* --- A subscriber --------------------------------------------------- */

/* Reflects a coordinate into [0, side]. */
static double reflect(double v, double side)
{
        if (v < 0)
                v = -v;
        if (v > side)
                v = 2 * side - v;
        return clampd(v, 0.0, side);
}

/* The cell of a place at a displacement-law distance from cell `from`,
 * in a direction: both from the draw r. */
static uint32_t cell_at_jump(const mob_t *mob, uint32_t from, uint64_t r)
{
        double d = mob->jump[r & (GEN_MOB_TABLE - 1)];
        unsigned dir = (unsigned)(r >> 16) & 255;
        double x = mob->cell_x[from] + d * mob->dir_x[dir];
        double y = mob->cell_y[from] + d * mob->dir_y[dir];

        return nearest_cell(mob, reflect(x, mob->side), reflect(y, mob->side));
}

/* Home, work and the start of the diary at minute `start`. */
static void start_sub(const mob_t *mob, uint32_t sub, mob_sub_t *st,
                      uint32_t start)
{
        uint64_t h = mix64(sub_key(mob, sub) ^ K_HOME);

        /* every cell serves about as many residents */
        st->home = (uint16_t)below(h, mob->ncells);
        st->flags = 0;
        st->work = st->home;
        st->places = 1;
        if (unit(mix64(h + 4)) < MOB_WORKER_SHARE) {
                st->flags = MOB_WORKER;
                st->work = (uint16_t)cell_at_jump(mob, st->home, mix64(h + 5));
                st->places = 2;
        }
        st->place = 0;
        st->cell = st->home;
        st->flags |= MOB_CELL_KNOWN;
        st->until = start;
}

/* Exploration or preferential return: the next place. */
static uint16_t epr(const mob_t *mob, mob_sub_t *st, uint64_t r)
{
        uint32_t s = st->places, lo = 0, hi;
        double target;

        if (s < GEN_MOB_PLACES && (uint32_t)r < mob->p_new[s]) {
                st->places = (uint16_t)(s + 1);
                return (uint16_t)s;
        }
        target = (double)(uint32_t)(r >> 32) * 0x1.0p-32 * mob->zipf_cdf[s - 1];
        hi = s - 1;
        while (lo < hi) {
                uint32_t mid = (lo + hi) / 2;
                if (mob->zipf_cdf[mid] > target)
                        hi = mid;
                else
                        lo = mid + 1;
        }
        return (uint16_t)lo;
}

/* Decides the stay that starts when the current one ends. */
static void next_stay(const mob_t *mob, uint32_t sub, mob_sub_t *st)
{
        uint32_t start = st->until;
        uint64_t r = mix64(sub_key(mob, sub) ^ ((uint64_t)start * K_STAY));
        uint64_t r2 = mix64(r ^ K_TWO);
        uint32_t mod = start % 1440, day0 = start - mod, end;
        uint32_t wait = mob->wait[(r >> 32) & (GEN_MOB_TABLE - 1)];
        uint32_t jitter = (uint32_t)(r >> 48);
        int workday = (start / 1440 + 3) % 7 < 5; /* 1970-01-01: Thursday */
        int worker = st->flags & MOB_WORKER;
        int anchored;

        if (mod >= MOB_NIGHT_START || mod < MOB_NIGHT_END) {
                end = (mod >= MOB_NIGHT_START ? day0 + 1440 : day0) +
                      MOB_NIGHT_END + jitter % 91;
                /* a night away lasts the night too */
                anchored = 1;
                st->place =
                    (uint32_t)r < mob->home_night ? 0 : epr(mob, st, r2);
        } else if (worker && workday && mod >= MOB_WORK_START &&
                   mod < MOB_WORK_END) {
                end = day0 + MOB_WORK_END + jitter % 91;
                anchored = (uint32_t)r < mob->at_work;
                st->place = anchored ? 1 : epr(mob, st, r2);
        } else {
                if (worker && workday && mod < MOB_WORK_START)
                        end = day0 + MOB_WORK_START + jitter % 61;
                else
                        end = day0 + MOB_NIGHT_START + jitter % 121;
                anchored = 0;
                st->place = epr(mob, st, r2);
        }
        if (!anchored && start + wait < end)
                end = start + wait;
        st->until = end > start ? end : start + 1;
}

static uint32_t place_cell(const mob_t *mob, uint32_t sub, const mob_sub_t *st)
{
        if (st->place == 0)
                return st->home;
        if (st->place == 1 && (st->flags & MOB_WORKER))
                return st->work;
        return cell_at_jump(
            mob, st->home,
            mix64(sub_key(mob, sub) ^ ((uint64_t)st->place * K_PLACE)));
}

uint32_t cdr_gen_mob_cell(cdr_gen_t *gen, uint32_t sub, int64_t t_us)
{
        const mob_t *mob = &gen->mob;
        mob_sub_t *st = &gen->mob.subs[sub];
        int64_t minute = t_us / (60 * US_PER_S);
        uint32_t m;

        /* epoch minutes fit 32 bits until the year 10136; past it the
         * subscriber stays where it is */
        m = minute > MOB_LAST ? MOB_LAST : (uint32_t)minute;
        if (st->places == 0)
                start_sub(mob, sub, st, mob->start_minute);
        if (st->until <= m) {
                uint16_t was = st->place;
                do
                        next_stay(mob, sub, st);
                while (st->until <= m);
                if (st->place != was)
                        st->flags &= (uint16_t)~MOB_CELL_KNOWN;
        }
        if (!(st->flags & MOB_CELL_KNOWN)) {
                st->cell = (uint16_t)place_cell(mob, sub, st);
                st->flags |= MOB_CELL_KNOWN;
        }
        return st->cell;
}

/* --- Set-up and the cell table -------------------------------------- */

int cdr_gen_mob_init(cdr_gen_t *gen, int track)
{
        mob_t *mob = &gen->mob;
        uint32_t ncells = gen->opts.cells;
        int rc;

        if (ncells == 0) {
                ncells = gen->nsub / GEN_SUBS_PER_CELL;
                if (ncells < GEN_MIN_CELLS)
                        ncells = GEN_MIN_CELLS;
                if (ncells > CDR_GEN_MAX_CELLS)
                        ncells = CDR_GEN_MAX_CELLS;
        }
        mob->seed = mix64(gen->salt ^ 0xbb67ae8584caa73bULL);
        mob->start_minute = (uint32_t)(gen->opts.start_time / 60);
        rc = build_network(mob, gen->nsub, ncells, gen->salt);
        if (rc == CDR_OK)
                rc = build_grid(mob);
        if (rc != CDR_OK)
                return rc;
        build_tables(mob);
        if (track) {
                mob->subs = calloc(gen->nsub, sizeof(*mob->subs));
                if (mob->subs == NULL)
                        return CDR_ERR_NOMEM;
        }
        return CDR_OK;
}

void cdr_gen_mob_free(mob_t *mob)
{
        free(mob->cell_x);
        free(mob->cell_y);
        free(mob->cell_town);
        free(mob->grid_start);
        free(mob->grid_cells);
        free(mob->grid_near);
        free(mob->subs);
}

int cdr_gen_mob_table(const cdr_gen_t *gen, cdr_buf_t *out)
{
        const mob_t *mob = &gen->mob;
        const double km_lat = 111.32;
        const double km_lon = 111.32 * cos(MOB_LAT0 * 3.141592653589793 / 180);
        char id[32];
        uint32_t c;
        int rc;

        rc = cdr_buf_puts(out, "cell_id,area,district,region,town,latitude,"
                               "longitude");
        if (rc == CDR_OK)
                rc = cdr_buf_append(out, gen->eol, gen->eol_len);
        for (c = 0; c < mob->ncells && rc == CDR_OK; c++) {
                uint32_t area = c / MOB_AREA_CELLS;
                uint32_t district = area / MOB_DISTRICT_AREAS;
                char *p = cdr_gen_put_cell(id, c);

                *p = '\0';
                rc = cdr_buf_printf(out, "%s,%.11s,district-%03u,region-%02u,",
                                    id, id, district + 1,
                                    district / MOB_REGION_DISTRICTS + 1);
                if (rc == CDR_OK && mob->cell_town[c] == 0)
                        rc = cdr_buf_puts(out, "rural");
                else if (rc == CDR_OK)
                        rc = cdr_buf_printf(out, "town-%03u",
                                            (unsigned)mob->cell_town[c]);
                if (rc == CDR_OK)
                        rc = cdr_buf_printf(out, ",%.5f,%.5f",
                                            MOB_LAT0 + mob->cell_y[c] / km_lat,
                                            MOB_LON0 + mob->cell_x[c] / km_lon);
                if (rc == CDR_OK)
                        rc = cdr_buf_append(out, gen->eol, gen->eol_len);
        }
        return rc;
}
