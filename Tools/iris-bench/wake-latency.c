/* The cost of waking a thread on this machine: two threads hand a turn back and forth through
 * one mutex and condition variable, and the round trip is timed (half of it is one wake).
 *   gcc -O2 -pthread -o /tmp/wake-latency wake-latency.c && /tmp/wake-latency 20000
 *   taskset -c 0 /tmp/wake-latency 20000      # both threads on one CPU
 * Every hand-off of the engine (a producer task to its log's lane, the lane back to the task)
 * pays one such wake; results/wake-latency-20261202.txt has this VM's figures. */
#include <pthread.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int turn = 0; static int N;
static void *other(void *a) { for (int i = 0; i < N; i++) { pthread_mutex_lock(&m); while (turn != 1) pthread_cond_wait(&c, &m); turn = 0; pthread_cond_broadcast(&c); pthread_mutex_unlock(&m);} return 0; }
static double now() { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec * 1e6 + t.tv_nsec / 1e3; }
int main(int argc, char **argv) {
  N = argc > 1 ? atoi(argv[1]) : 20000; pthread_t t; pthread_create(&t, 0, other, 0);
  double t0 = now();
  for (int i = 0; i < N; i++) { pthread_mutex_lock(&m); turn = 1; pthread_cond_broadcast(&c); while (turn != 0) pthread_cond_wait(&c, &m); pthread_mutex_unlock(&m); }
  double t1 = now(); pthread_join(t, 0);
  printf("round trip %.1f us (one wake %.1f us), %d round trips\n", (t1 - t0) / N, (t1 - t0) / N / 2, N);
}
