#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The process's open-file limit (`RLIMIT_NOFILE`): every socket and file takes one descriptor,
/// and a server sizes its connection caps from it.
public struct DescriptorLimit: Sendable, Equatable {
    /// The limit in force.
    public var soft: Int
    /// How far the process may raise `soft` without privilege.
    public var hard: Int

    /// A limit of `soft` and `hard` descriptors.
    public init(soft: Int, hard: Int) {
        self.soft = soft
        self.hard = hard
    }

    /// The limit now.
    public static func current() -> DescriptorLimit {
        var limit = rlimit()
        guard getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return DescriptorLimit(soft: 1024, hard: 1024) }
        return DescriptorLimit(soft: clamp(limit.rlim_cur), hard: clamp(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (what a server that expects many connections does
    /// at start, as Go's runtime and most brokers do) and returns the limit then in force.
    @discardableResult
    public static func raiseSoftToHard() -> DescriptorLimit {
        var limit = rlimit()
        if getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit) == 0, limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        }
        return current()
    }

    /// An `rlim_t` as an Int; "unlimited" and anything past 2^30 count as 2^30.
    private static func clamp(_ value: rlim_t) -> Int {
        value >= rlim_t(1 << 30) ? 1 << 30 : Int(value)
    }
}
