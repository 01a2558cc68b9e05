/*
 * common.c - plumbing shared by the losskit examples (see common.h).
 */
#define _POSIX_C_SOURCE 200809L

#include "common.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------------ errors */

void ex_check(lk_status st, const char *what)
{
    if (st != LK_OK) {
        fprintf(stderr, "%s failed: %s\n", what, lk_strerror(st));
        exit(EXIT_FAILURE);
    }
}

void *ex_alloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size) {
        fprintf(stderr, "allocation of %zu x %zu bytes overflows\n", count, size);
        exit(EXIT_FAILURE);
    }
    size_t bytes = count * size;
    void *p = malloc(bytes > 0 ? bytes : 1);
    if (!p) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(EXIT_FAILURE);
    }
    return p;
}

double ex_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* ----------------------------------------------------------------- options */

static void usage(FILE *f, const char *prog, const char *about)
{
    fprintf(f,
            "%s\n\n"
            "usage: %s [-d DATA_DIR] [-o OUT_DIR] [-t THREADS] [-e EPOCHS] [-q]\n"
            "  -d DIR   directory holding the data files (default %s)\n"
            "  -o DIR   where to write the loss curve, NAME_loss.csv and NAME_loss.png\n"
            "           (default: the current directory; the PNG needs gnuplot)\n"
            "  -t N     number of OpenMP threads (default: OMP_NUM_THREADS or all cores)\n"
            "  -e N     number of training epochs\n"
            "  -q       quiet: no per-epoch progress lines\n",
            about, prog, LK_DATA_DIR);
}

static int parse_count(const char *s, const char *prog, const char *about)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || end == s || v < 1 || v > 100000) {
        fprintf(stderr, "%s: expected a positive number, got '%s'\n", prog, s);
        usage(stderr, prog, about);
        exit(EXIT_FAILURE);
    }
    return (int)v;
}

ex_options ex_parse_options(int argc, char **argv, const char *about)
{
    ex_options o = { LK_DATA_DIR, ".", 0, 0, 0 };
    const char *prog = argc > 0 && argv[0][0] ? argv[0] : "example";
    if (strrchr(prog, '/'))
        prog = strrchr(prog, '/') + 1;
    int c;
    while ((c = getopt(argc, argv, "d:o:t:e:qh")) != -1) {
        switch (c) {
        case 'd': o.data_dir = optarg; break;
        case 'o': o.out_dir = optarg; break;
        case 't': o.threads = parse_count(optarg, prog, about); break;
        case 'e': o.epochs = parse_count(optarg, prog, about); break;
        case 'q': o.quiet = 1; break;
        case 'h': usage(stdout, prog, about); exit(EXIT_SUCCESS);
        default: usage(stderr, prog, about); exit(EXIT_FAILURE);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        usage(stderr, prog, about);
        exit(EXIT_FAILURE);
    }
#ifdef _OPENMP
    if (o.threads > 0)
        omp_set_num_threads(o.threads);
#else
    if (o.threads > 1)
        fprintf(stderr, "%s: built without OpenMP, -t %d ignored\n", prog, o.threads);
#endif
    return o;
}

/* -------------------------------------------------------------------- CSV */

/* Parses one line of exactly `cols` numbers into out; returns 0 on success. */
static int parse_line(char *line, size_t cols, double *out)
{
    char *p = line;
    for (size_t j = 0; j < cols; j++) {
        char *end;
        errno = 0;
        out[j] = strtod(p, &end);
        if (end == p || errno == ERANGE)
            return -1;
        while (*end == ' ')
            end++;
        if (j + 1 < cols) {
            if (*end != ',')
                return -1;
            p = end + 1;
        } else if (*end != '\0') {
            return -1;
        }
    }
    return 0;
}

double *ex_read_csv(const char *dir, const char *name, int skip, size_t cols, size_t *rows)
{
    size_t plen = strlen(dir) + strlen(name) + 2;
    char *path = ex_alloc(plen, 1);
    snprintf(path, plen, "%s/%s", dir, name);

    /* A .gz file is read through gzip, so the examples need no zlib. */
    size_t nlen = strlen(name);
    int gz = nlen > 3 && strcmp(name + nlen - 3, ".gz") == 0;
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "cannot open %s: %s\n(use -d DIR to say where the data files are)\n",
                path, strerror(errno));
        exit(EXIT_FAILURE);
    }
    if (gz) {
        fclose(f);
        if (strchr(path, '\'')) {
            fprintf(stderr, "cannot read %s: a quote in the path\n", path);
            exit(EXIT_FAILURE);
        }
        size_t clen = plen + 32;
        char *cmd = ex_alloc(clen, 1);
        snprintf(cmd, clen, "gzip -dc -- '%s'", path);
        f = popen(cmd, "r");
        free(cmd);
        if (!f) {
            fprintf(stderr, "cannot run gzip to read %s\n", path);
            exit(EXIT_FAILURE);
        }
    }

    size_t cap = 1024, n = 0, lineno = 0, linecap = 0;
    double *data = ex_alloc(cap * cols, sizeof *data);
    char *line = NULL;
    ssize_t len;
    while ((len = getline(&line, &linecap, f)) != -1) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            line[--len] = '\0';
        if ((int)lineno <= skip || len == 0)
            continue;
        if (n == cap) {
            cap *= 2;
            double *bigger = realloc(data, cap * cols * sizeof *data);
            if (!bigger) {
                fprintf(stderr, "out of memory reading %s\n", path);
                exit(EXIT_FAILURE);
            }
            data = bigger;
        }
        if (parse_line(line, cols, data + n * cols) != 0) {
            fprintf(stderr, "%s:%zu: expected %zu comma-separated numbers\n", path, lineno,
                    cols);
            exit(EXIT_FAILURE);
        }
        n++;
    }
    free(line);
    int bad = gz ? pclose(f) != 0 : (ferror(f) | fclose(f)) != 0;
    if (bad || n == 0) {
        fprintf(stderr, "could not read %s%s\n", path, n == 0 ? " (no data rows)" : "");
        exit(EXIT_FAILURE);
    }
    free(path);
    *rows = n;
    return data;
}

/* ---------------------------------------------------------------- shuffle */

/* splitmix64: a small, well-mixed generator; the same numbers everywhere. */
static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

size_t *ex_shuffled_indices(size_t n, uint64_t seed)
{
    size_t *idx = ex_alloc(n, sizeof *idx);
    for (size_t i = 0; i < n; i++)
        idx[i] = i;
    /* Fisher-Yates; the modulo bias is negligible for n this small. */
    for (size_t i = n; i > 1; i--) {
        size_t k = (size_t)(splitmix64(&seed) % i);
        size_t t = idx[i - 1];
        idx[i - 1] = idx[k];
        idx[k] = t;
    }
    return idx;
}

double ex_uniform(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * 0x1.0p-53;
}

void ex_standardise(float *x, size_t rows, size_t cols, size_t ld, size_t fit_rows)
{
    for (size_t j = 0; j < cols; j++) {
        double mean = 0.0, var = 0.0;
        for (size_t r = 0; r < fit_rows; r++)
            mean += (double)x[r * ld + j];
        mean /= (double)fit_rows;
        for (size_t r = 0; r < fit_rows; r++) {
            double d = (double)x[r * ld + j] - mean;
            var += d * d;
        }
        double sd = sqrt(var / (double)fit_rows);
        if (sd == 0.0)
            sd = 1.0; /* a constant column stays constant (0) */
        for (size_t r = 0; r < rows; r++)
            x[r * ld + j] = (float)(((double)x[r * ld + j] - mean) / sd);
    }
}

uint64_t ex_fnv1a(const void *data, size_t bytes)
{
    const unsigned char *p = data;
    uint64_t h = 0xCBF29CE484222325u;
    for (size_t i = 0; i < bytes; i++) {
        h ^= p[i];
        h *= 0x100000001B3u;
    }
    return h;
}

/* ------------------------------------------------------------- loss curve */

void ex_curve_add(ex_curve *c, int epoch, double train_loss, double test_loss)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        int *e = realloc(c->epoch, cap * sizeof *e);
        double *a = realloc(c->train, cap * sizeof *a);
        double *b = realloc(c->test, cap * sizeof *b);
        if (!e || !a || !b) {
            fprintf(stderr, "out of memory\n");
            exit(EXIT_FAILURE);
        }
        c->epoch = e;
        c->train = a;
        c->test = b;
        c->cap = cap;
    }
    c->epoch[c->n] = epoch;
    c->train[c->n] = train_loss;
    c->test[c->n] = test_loss;
    c->n++;
}

static int have_gnuplot(void)
{
    return system("command -v gnuplot >/dev/null 2>&1") == 0;
}

void ex_curve_finish(ex_curve *c, const ex_options *o, const char *name, const char *title)
{
    size_t len = strlen(o->out_dir) + strlen(name) + 16;
    char *csv = ex_alloc(len, 1), *png = ex_alloc(len, 1);
    snprintf(csv, len, "%s/%s_loss.csv", o->out_dir, name);
    snprintf(png, len, "%s/%s_loss.png", o->out_dir, name);

    FILE *f = fopen(csv, "w");
    if (!f) {
        fprintf(stderr, "cannot write %s: %s (loss curve not saved)\n", csv, strerror(errno));
        goto done;
    }
    fprintf(f, "epoch,train_loss,test_loss\n");
    for (size_t i = 0; i < c->n; i++)
        fprintf(f, "%d,%.9g,%.9g\n", c->epoch[i], c->train[i], c->test[i]);
    if (fclose(f) != 0) {
        fprintf(stderr, "cannot write %s\n", csv);
        goto done;
    }

    if (!have_gnuplot()) {
        printf("loss curve: %s (install gnuplot for a PNG)\n", csv);
        goto done;
    }
    if (strchr(csv, '\'') || strchr(title, '\'')) {
        printf("loss curve: %s (no PNG: a quote in the path)\n", csv);
        goto done;
    }
    FILE *gp = popen("gnuplot", "w");
    if (!gp) {
        printf("loss curve: %s (could not start gnuplot)\n", csv);
        goto done;
    }
    /* pngcairo draws nicer lines; the libgd png terminal is the fallback. */
    fprintf(gp,
            "if (strstrt(GPVAL_TERMINALS, 'pngcairo') > 0) {\n"
            "  set terminal pngcairo size 800,500\n"
            "} else {\n"
            "  set terminal png size 800,500\n"
            "}\n"
            "set output '%s'\n"
            "set datafile separator ','\n"
            "set title '%s'\n"
            "set xlabel 'epoch'\n"
            "set ylabel 'loss (log scale)'\n"
            "set logscale y\n"
            "set grid\n"
            "plot '%s' using 1:2 with lines linewidth 2 title 'train', \\\n"
            "     '' using 1:3 with lines linewidth 2 title 'test'\n",
            png, title, csv);
    if (pclose(gp) != 0)
        printf("loss curve: %s (gnuplot failed, no PNG)\n", csv);
    else
        printf("loss curve: %s and %s\n", csv, png);
done:
    free(csv);
    free(png);
    free(c->epoch);
    free(c->train);
    free(c->test);
    c->epoch = NULL;
    c->train = c->test = NULL;
    c->n = c->cap = 0;
}
