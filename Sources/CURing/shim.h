// liburing for Swift. <features.h> must come first: liburing.h defines
// _XOPEN_SOURCE/_GNU_SOURCE before the libc headers, which otherwise renames
// fd_set members and breaks debug builds of any module that also imports Glibc.
#include <features.h>
#if __has_include(<liburing.h>)
#include <liburing.h>
#else
#error "liburing.h not found: install the Debian package liburing-dev"
#endif
