#if __has_include(<zstd.h>)
#include <zstd.h>
#else
#error "zstd.h not found: install the Debian package libzstd-dev"
#endif
