import ArgumentParser
import Foundation
import IrisLog
import IrisLogInspection
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct Repair: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a damaged log openable with its valid prefix, keeping every damaged file aside.",
        discussion: """
            Cuts a torn tail; renames a corrupt segment (and any later one, which no longer joins) to \
            <name>.corrupt-<unix time> next to a .report file describing the damage, copies the valid frames \
            before the damage into a new segment of the same name, moves a checkpoint that no longer matches \
            aside, rebuilds damaged indexes. Never deletes data.
            """)
    @Argument(help: "The log directory.") var directory: String

    func run() async throws {
        let result = try await ProgressBar("repair").showing { progress in
            try await LogMaintenance.repair(directory: directory, progress: progress)
        }
        var text = result.actions.map { $0 + "\n" }.joined()
        if result.actions.isEmpty { text = "nothing to repair\n" }
        try Output.out(text)
        if let remaining = result.remainingError {
            throw ToolFailure.corrupt("the log still does not open after repair: \(remaining)")
        }
    }
}
