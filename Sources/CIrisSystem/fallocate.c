#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include "CIrisSystem.h"

int iris_fallocate(int fd, int64_t offset, int64_t length) {
    int result;
    do {
        result = fallocate(fd, 0, (off_t)offset, (off_t)length);
    } while (result != 0 && errno == EINTR);
    return result == 0 ? 0 : errno;
}
