/*
 * dnnl_bench.c - the oneDNN peer: times oneDNN's softmax forward primitive with the
 * log algorithm (log-softmax over the class axis of a rows x cols f32 matrix, out of
 * place, forward inference) on the CPU engine.  Primitive creation is not timed.
 *
 *   lkbench-dnnl version         prints the oneDNN version
 *   lkbench-dnnl time RxC...     one CSV line per shape (format in lkbench.h)
 *
 * Built by bench/Makefile.inc only when oneDNN is found (Debian: libdnnl-dev).
 * oneDNN's Debian build uses OpenMP, so OMP_NUM_THREADS sets its thread count.
 */
#include "lkbench.h"

#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static int thread_count(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    const char *s = getenv("OMP_NUM_THREADS");
    return (s && atoi(s) > 0) ? atoi(s) : 1;
#endif
}

typedef struct dnnl_job {
    dnnl_primitive_t prim;
    dnnl_stream_t stream;
    dnnl_exec_arg_t args[2];
} dnnl_job;

static void run_dnnl(void *p)
{
    dnnl_job *j = p;
    dnnl_primitive_execute(j->prim, j->stream, 2, j->args);
    dnnl_stream_wait(j->stream);
}

#define CHECK(call)                                                                   \
    do {                                                                              \
        dnnl_status_t s_ = (call);                                                    \
        if (s_ != dnnl_success) {                                                     \
            fprintf(stderr, "lkbench-dnnl: %s failed (status %d)\n", #call, (int)s_); \
            return -1;                                                                \
        }                                                                             \
    } while (0)

/* Log-softmax rows x cols: src read once, dst written once. */
static int bench_shape(const lkb_config *cfg, dnnl_engine_t eng, dnnl_stream_t strm,
                       size_t rows, size_t cols)
{
    size_t n = rows * cols;
    float *src = lkb_alloc_floats(n), *dst = lkb_alloc_floats(n);
    lkb_fill(src, n, 12345u + n, -4.0f, 4.0f);
    memset(dst, 0, n * sizeof(float));

    dnnl_dims_t dims = { (dnnl_dim_t)rows, (dnnl_dim_t)cols };
    dnnl_memory_desc_t md;
    CHECK(dnnl_memory_desc_init_by_tag(&md, 2, dims, dnnl_f32, dnnl_ab));
    dnnl_softmax_v2_desc_t sd;
    CHECK(dnnl_softmax_v2_forward_desc_init(&sd, dnnl_forward_inference, dnnl_softmax_log,
                                            &md, &md, 1));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &sd, NULL, eng, NULL));
    const char *impl = "?";
    dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl);
    char note[96];
    snprintf(note, sizeof note, "oneDNN impl %s", impl);

    dnnl_memory_t msrc, mdst;
    CHECK(dnnl_memory_create(&msrc, &md, eng, src));
    CHECK(dnnl_memory_create(&mdst, &md, eng, dst));
    dnnl_job j;
    CHECK(dnnl_primitive_create(&j.prim, pd));
    j.stream = strm;
    j.args[0].arg = DNNL_ARG_SRC;
    j.args[0].memory = msrc;
    j.args[1].arg = DNNL_ARG_DST;
    j.args[1].memory = mdst;

    lkb_result r = lkb_time(cfg, run_dnnl, NULL, &j);
    lkb_print_time("onednn", "log_softmax", rows, cols, thread_count(), &r,
                   2.0 * (double)n * sizeof(float), (double)dst[0], note);

    dnnl_primitive_destroy(j.prim);
    dnnl_primitive_desc_destroy(pd);
    dnnl_memory_destroy(msrc);
    dnnl_memory_destroy(mdst);
    free(src);
    free(dst);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "version") == 0) {
        const dnnl_version_t *v = dnnl_version();
        printf("%d.%d.%d\n", v->major, v->minor, v->patch);
        return 0;
    }
    if (argc < 2 || strcmp(argv[1], "time") != 0) {
        fprintf(stderr, "usage: lkbench-dnnl version | time RxC...\n");
        return 2;
    }
    lkb_config cfg = lkb_config_from_env();
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    if (dnnl_engine_create(&eng, dnnl_cpu, 0) != dnnl_success ||
        dnnl_stream_create(&strm, eng, dnnl_stream_default_flags) != dnnl_success) {
        fprintf(stderr, "lkbench-dnnl: cannot create the oneDNN CPU engine\n");
        return 1;
    }
    int rc = 0;
    for (int i = 2; i < argc; i++) {
        size_t rows, cols;
        if (lkb_parse_shape(argv[i], &rows, &cols) != 0) {
            fprintf(stderr, "lkbench-dnnl: bad shape '%s'\n", argv[i]);
            rc = 2;
            break;
        }
        fprintf(stderr, "lkbench-dnnl: %zux%zu, %d thread(s)\n", rows, cols, thread_count());
        if (bench_shape(&cfg, eng, strm, rows, cols) != 0) {
            lkb_print_skip("onednn", "log_softmax", rows, cols, thread_count(),
                           "oneDNN primitive creation failed");
            rc = 1;
        }
    }
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
    return rc;
}
