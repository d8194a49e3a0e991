import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// `iris-log`: inspect, verify, append to, follow and repair an IrisLog directory.
///
/// Exit codes: 0 success; 1 corruption found (verify) or the operation could not complete
/// on damaged data; 2 usage or I/O error. Every failure prints one line on stderr.
@main
struct IrisLogTool {
    static func main() async {
        signal(SIGPIPE, SIG_IGN)
        let arguments = Array(CommandLine.arguments.dropFirst())
        if arguments.isEmpty {
            Output.error("missing subcommand: info, dump, verify, append, repair, tail or index (see `iris-log --help`)")
            exit(2)
        }
        let command: any ParsableCommand
        do {
            command = try IrisLogCommand.parseAsRoot(arguments)
        } catch {
            exitForParserError(error, fallback: "invalid arguments", suffix: " (see `iris-log --help`)")
        }
        do {
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                var command = command
                try command.run()
            }
        } catch let code as ExitCode {
            exit(code.rawValue)
        } catch let failure as ToolFailure {
            Output.error(failure.message)
            exit(failure.code)
        } catch let error as InspectionError {
            Output.error(error.description)
            exit(error.exitCode)
        } catch let error as LogError {
            let failure = ToolFailure(error)
            Output.error(failure.message)
            exit(failure.code)
        } catch {
            exitForParserError(error, fallback: "\(error)", suffix: "")
        }
        exit(0)
    }

    /// Ends the tool for an error argument-parser raised or passed on: what it treats as
    /// success (`--help`, `--version`) prints its full message on stdout and exits 0; anything
    /// else prints the first line of its message (or `fallback`), then `suffix`, on stderr and
    /// exits 2.
    private static func exitForParserError(_ error: any Error, fallback: String, suffix: String) -> Never {
        if IrisLogCommand.exitCode(for: error) == .success {
            _ = Output.writeAll(1, Array((IrisLogCommand.fullMessage(for: error) + "\n").utf8))
            exit(0)
        }
        let message = IrisLogCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? fallback
        Output.error(message + suffix)
        exit(2)
    }
}
