import IrisLog

/// Why the hard-state file cannot be read or written; SPEC.md §11.1.
package enum HardStateFileError: Error, Equatable, CustomStringConvertible {
    /// The file exists but holds no valid slot: it was damaged or not written by Iris. The
    /// replica MUST NOT start (it could vote twice in a term); the description says why.
    case damaged(path: String, detail: String)
    /// A storage call failed. After a failed write or sync the file refuses every later
    /// save with the same error (fail-stop: the page cache cannot be trusted).
    case io(StorageError)

    /// What is wrong and what to do next.
    package var description: String {
        switch self {
        case .damaged(let path, let detail):
            "hard-state file \(path) is damaged (\(detail)); the replica cannot start without its term and vote: restore the file or rebuild this replica from its peers"
        case .io(let error):
            "hard-state file: \(error)"
        }
    }
}
