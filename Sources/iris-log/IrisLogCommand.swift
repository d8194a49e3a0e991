import ArgumentParser
import Foundation
import IrisLog
import Logging
#if canImport(Glibc)
import Glibc
#endif

struct IrisLogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "iris-log",
        abstract: "Inspect, verify, append to, follow and repair an IrisLog directory.",
        discussion: "Exit codes: 0 success; 1 corruption found or operation impossible on damaged data; 2 usage or I/O error.",
        subcommands: [Info.self, Dump.self, Verify.self, Append.self, Repair.self, Tail.self, Index.self])
}
