/*
 * OpenBLAS side of `npm run bench:gemm` (bench-only; never part of the package's build).
 * Reads lines "m n k transA transB minSeconds outPath" on stdin, runs cblas_sgemm on the same
 * deterministic inputs as the nnkit side, writes C to outPath (raw float32) and answers one line
 * of JSON: {"seconds": per call, "core": OpenBLAS's kernel name}.
 */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static float *fill(long count, long mul, long mod) {
  float *p = malloc(sizeof(float) * (count > 0 ? count : 1));
  for (long i = 0; i < count; i++) p[i] = (float)((double)((i * mul + 3) % mod) / mod - 0.5);
  return p;
}

int main(void) {
  long m, n, k;
  int ta, tb;
  double min_seconds;
  char out[4096];
  while (scanf("%ld %ld %ld %d %d %lf %4095s", &m, &n, &k, &ta, &tb, &min_seconds, out) == 7) {
    float *a = fill(m * k, 7, 97), *b = fill(k * n, 5, 89), *c = calloc(m * n, sizeof(float));
    const int lda = ta ? m : k, ldb = tb ? k : n;
    const enum CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
    cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
    long reps = 1;
    double dt;
    for (;;) {
      double t0 = now();
      for (long r = 0; r < reps; r++) cblas_sgemm(CblasRowMajor, opa, opb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c, n);
      dt = now() - t0;
      if (dt >= min_seconds) break;
      reps = dt <= 0 ? reps * 8 : (long)(reps * (min_seconds * 1.2 / dt)) + 1;
    }
    FILE *f = fopen(out, "wb");
    if (f) {
      fwrite(c, sizeof(float), m * n, f);
      fclose(f);
    }
    printf("{\"seconds\": %.9g, \"core\": \"%s\"}\n", dt / reps, openblas_get_corename());
    fflush(stdout);
    free(a);
    free(b);
    free(c);
  }
  return 0;
}
