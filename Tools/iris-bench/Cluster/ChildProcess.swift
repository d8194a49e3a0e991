#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, with every signal unblocked and at its default
/// action. (Foundation's Process passes on the blocked signal mask of the thread that starts it,
/// and Swift's concurrency threads block signals: `perf record` then never sees its workload
/// exit, and a node cannot be sure to see SIGTERM.) Stopped and reaped by its PID only.
final class ChildProcess {
    /// The child's process ID.
    let pid: pid_t
    private var exitStatus: Int32?

    /// Starts `path` with `arguments`, standard output and error appended to `outputPath`.
    /// - Throws: `.io` when the output file cannot be opened or the program cannot start.
    init(path: String, arguments: [String], outputPath: String) throws(ClusterBenchError) {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t(), all = sigset_t()
        sigemptyset(&none)
        sigfillset(&all)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var child: pid_t = 0
        let result = posix_spawn(&child, path, &actions, &attributes, argv, environ)
        guard result == 0 else { throw .io("cannot start \(path): \(String(cString: strerror(result)))") }
        pid = child
    }

    /// True until the child has exited (it is reaped on the first call that sees the exit).
    var isRunning: Bool {
        guard exitStatus == nil else { return false }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == pid || result < 0 { exitStatus = status }
        return exitStatus == nil
    }

    /// The exit code (or 128 + signal), once `isRunning` has returned false.
    var terminationStatus: Int32? {
        guard let exitStatus else { return nil }
        let signal = exitStatus & 0x7f
        return signal == 0 ? (exitStatus >> 8) & 0xff : 128 + signal
    }

    /// Sends `signal`, then waits up to `grace` seconds (polling every 50 ms) for the exit; then
    /// SIGKILL and a blocking reap.
    func stop(signal: Int32 = SIGTERM, grace: Double = 10) {
        guard isRunning else { return }
        kill(pid, signal)
        for _ in 0..<Int(grace * 20) where isRunning { usleep(50_000) }
        guard isRunning else { return }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        exitStatus = status
    }
}
