#if canImport(Glibc)
import Glibc
#endif

/// A new empty directory under /tmp.
func temporaryDirectory() throws -> String {
    var template = Array("/tmp/iris-node-test-XXXXXX".utf8CString)
    guard let result = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
        throw TemporaryDirectoryError(errno: errno)
    }
    return String(cString: result)
}

struct TemporaryDirectoryError: Error { var errno: Int32 }
