#ifndef CIRIS_SYSTEM_H
#define CIRIS_SYSTEM_H

#include <stddef.h>
#include <stdint.h>

/// CRC32C (Castagnoli, reflected polynomial 0x82F63B78) of `length` bytes,
/// continuing from `crc` (pass 0 to start). Uses the SSE4.2 `crc32` instruction
/// when the CPU has it (checked once at run time) and a table otherwise.
/// iris_crc32c(0, "123456789", 9) == 0xE3069283.
uint32_t iris_crc32c(uint32_t crc, const void *data, size_t length);

/// The portable table implementation, exposed so tests can compare both paths.
uint32_t iris_crc32c_portable(uint32_t crc, const void *data, size_t length);

/// 1 when iris_crc32c uses the SSE4.2 instruction, 0 when it uses the table.
int iris_crc32c_is_hardware(void);

/// fallocate(fd, 0, offset, length); returns 0 or an errno. A wrapper because Swift's
/// Glibc module does not declare fallocate (it needs _GNU_SOURCE).
int iris_fallocate(int fd, int64_t offset, int64_t length);

/// Names the calling thread (the first 15 bytes of `name`), as `top -H` and
/// /proc/PID/task/TID/comm show it; returns 0 or an errno. A wrapper because Swift's Glibc
/// module does not declare pthread_setname_np (it needs _GNU_SOURCE).
int iris_set_thread_name(const char *name);

/// The calling thread's name (at most 15 bytes and a NUL) into `name`; 0 on success.
int iris_get_thread_name(char *name, size_t size);

#endif
