#define _GNU_SOURCE
#include <pthread.h>
#include <string.h>
#include "CIrisSystem.h"

int iris_set_thread_name(const char *name) {
    char truncated[16];
    strncpy(truncated, name, sizeof truncated - 1);
    truncated[sizeof truncated - 1] = '\0';
    return pthread_setname_np(pthread_self(), truncated);
}

int iris_get_thread_name(char *name, size_t size) {
    return pthread_getname_np(pthread_self(), name, size);
}
