"""The limits a run needs: sysctls raised (old values kept and restored) and RLIMIT_NOFILE."""

import os
import resource

from harness import HarnessError, log

# Descriptors irisd holds besides its MQTT connections (logs, listeners, epoll, eventfds), with room
# to spare; the run checks the real count once irisd is up.
SERVER_FDS_BASE = 512


def sysctl_path(key):
    return "/proc/sys/" + key.replace(".", "/")


def read_sysctl(key):
    with open(sysctl_path(key)) as f:
        return " ".join(f.read().split())


class Limits:
    """The sysctls this run set (old values kept for restore) and every limit as applied."""

    def __init__(self):
        self.changed = {}
        self.applied = {}

    def at_least(self, key, minimum):
        """Raises sysctl `key` to `minimum` if it is lower; records the value in force."""
        if not os.path.exists(sysctl_path(key)):
            raise HarnessError(f"sysctl {key} does not exist here: cannot make sure it is at least {minimum}")
        old = read_sysctl(key)
        if int(old.split()[0]) < minimum:
            self.set(key, str(minimum))
        self.applied[key] = read_sysctl(key)

    def set(self, key, value):
        """Sets sysctl `key`; fails loudly when it does not take."""
        old = read_sysctl(key)
        try:
            with open(sysctl_path(key), "w") as f:
                f.write(value)
        except OSError as error:
            raise HarnessError(f"cannot set sysctl {key} to {value!r} (was {old!r}): {error}; run as root, "
                               "outside a read-only /proc/sys") from error
        now = read_sysctl(key)
        if now != " ".join(value.split()):
            raise HarnessError(f"sysctl {key} reads {now!r} after setting {value!r}")
        self.changed.setdefault(key, old)
        self.applied[key] = now
        log(f"sysctl {key}: {old} -> {now}")

    def restore(self):
        """Writes every changed sysctl back; returns the failures (also printed loudly)."""
        failures = []
        for key, old in reversed(list(self.changed.items())):
            try:
                with open(sysctl_path(key), "w") as f:
                    f.write(old)
                if read_sysctl(key) != old:
                    raise OSError(f"reads {read_sysctl(key)!r}")
                log(f"sysctl {key} restored to {old}")
            except OSError as error:
                failures.append(f"{key}={old}: {error}")
                log(f"ERROR: could not restore sysctl {key} to {old}: {error}")
        self.changed.clear()
        return failures


def local_port_range():
    low, high = (int(x) for x in read_sysctl("net.ipv4.ip_local_port_range").split())
    return low, high


def apply_limits(limits, args, fds_per_process):
    """Every limit a run of `args.connections` needs; raises HarnessError if one cannot be set.

    Returns RLIMIT_NOFILE as applied to irisd and the generators (each generator process then holds
    at most that less a margin, so the generator is never the limit)."""
    n = args.connections
    limits.at_least("fs.nr_open", fds_per_process)
    nofile, shortfall = raise_own_nofile(fds_per_process)
    limits.applied["RLIMIT_NOFILE"] = nofile
    if shortfall and n + SERVER_FDS_BASE > nofile:
        raise HarnessError(
            f"irisd would need about {n + SERVER_FDS_BASE} file descriptors for {n} connections, but {shortfall}. "
            f"The largest N one irisd can hold on this machine is about {nofile - SERVER_FDS_BASE}: run with "
            f"--connections {nofile - SERVER_FDS_BASE} or fewer, or on a machine that grants CAP_SYS_RESOURCE")
    allocated = int(open("/proc/sys/fs/file-nr").read().split()[0])
    limits.at_least("fs.file-max", 2 * n + allocated + 65536)
    limits.at_least("net.core.somaxconn", 4096)
    limits.at_least("net.ipv4.tcp_max_syn_backlog", 8192)
    if args.port_range:
        limits.set("net.ipv4.ip_local_port_range", args.port_range)
    limits.applied["net.ipv4.ip_local_port_range"] = read_sysctl("net.ipv4.ip_local_port_range")
    limits.applied["net.ipv4.ip_local_reserved_ports"] = read_sysctl("net.ipv4.ip_local_reserved_ports")
    limits.applied["net.ipv4.tcp_syncookies"] = read_sysctl("net.ipv4.tcp_syncookies")
    limits.applied["net.ipv4.tcp_mem"] = read_sysctl("net.ipv4.tcp_mem")
    if os.path.exists(sysctl_path("net.netfilter.nf_conntrack_max")):
        limits.at_least("net.netfilter.nf_conntrack_max", n + 65536)
        limits.applied["net.netfilter.nf_conntrack_count_before"] = read_sysctl("net.netfilter.nf_conntrack_count")
    else:
        limits.applied["net.netfilter.nf_conntrack_max"] = "conntrack not loaded"
    with open("/sys/kernel/mm/transparent_hugepage/enabled") as f:
        limits.applied["transparent_hugepage"] = f.read().strip()
    with open("/proc/swaps") as f:
        limits.applied["swap_devices"] = len(f.read().splitlines()) - 1
    return nofile


def raise_own_nofile(wanted):
    """Sets this process's RLIMIT_NOFILE (inherited by irisd and the generators) to `wanted`, or, when
    the hard limit cannot be raised (no CAP_SYS_RESOURCE), soft = hard. Returns (limit in force, why not more)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
        return wanted, None
    except (ValueError, OSError) as error:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard, (f"setrlimit(RLIMIT_NOFILE, {wanted}) failed ({error}): the hard limit {hard} needs "
                      f"CAP_SYS_RESOURCE to be raised, and this process has {capability_sys_resource()}")


def capability_sys_resource():
    """Whether CAP_SYS_RESOURCE (bit 24) is in this process's effective and bounding sets, in words."""
    sets = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("CapEff:", "CapBnd:")):
                sets[line.split(":")[0]] = int(line.split()[1], 16)
    has = {name: bool(value >> 24 & 1) for name, value in sets.items()}
    if not has.get("CapBnd", True):
        return "no CAP_SYS_RESOURCE in its capability bounding set (not even root can get it here)"
    return f"CAP_SYS_RESOURCE effective={has.get('CapEff')}"


def nofile_of(pid):
    """RLIMIT_NOFILE (soft, hard) of a running process, read back from /proc."""
    with open(f"/proc/{pid}/limits") as f:
        for line in f:
            if line.startswith("Max open files"):
                parts = line.split()
                return int(parts[3]), int(parts[4])
    raise HarnessError(f"no 'Max open files' line in /proc/{pid}/limits")


