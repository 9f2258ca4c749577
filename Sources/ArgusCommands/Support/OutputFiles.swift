import Flask
import Foundation

/// The files one run writes, all or none: each output goes to a temporary file in its own
/// directory and is renamed into place by ``commit()``; ``rollback()`` (or a run that throws
/// before committing) removes every temporary file and every directory the run created.
///
/// Targets (`-o FILE`, `--trace FILE`):
/// - a missing file or a regular file is replaced atomically (an existing file keeps its mode);
/// - a symbolic link is followed to the file it names, which is replaced; the link stays;
/// - a character device or a FIFO (`/dev/null`, `/dev/stdout`, a pipe) is written through, at
///   commit time, never replaced;
/// - a directory, a socket, a block device or a dangling link is refused (exit 2).
final class OutputTransaction {
    private enum Pending {
        case rename(temporary: String, final: String)
        case writeThrough(path: String, bytes: [UInt8])
    }

    private var pending: [Pending] = []
    private var createdDirectories: [String] = []
    private var finished = false

    init() {}

    deinit { if !finished { rollback() } }

    /// Stages `bytes` for `path` (see the type's rules for what `path` may be).
    func stage(_ bytes: [UInt8], to path: String) throws(InputError) {
        let writer = try openStream(to: path)
        try writer.write(bytes)
        try writer.close()
    }

    /// A writer whose bytes go to `path` at commit; for outputs too large to hold in memory.
    func openStream(to path: String) throws(InputError) -> StagedOutput {
        let target = try Self.resolveTarget(path)
        switch target {
        case .writeThrough(let device):
            return StagedOutput(path: path) { [self] bytes throws(InputError) in
                pending.append(.writeThrough(path: device, bytes: bytes))
            }
        case .replace(let final):
            let (descriptor, temporary) = try Self.createTemporary(beside: final)
            pending.append(.rename(temporary: temporary, final: final))
            return StagedOutput(path: path, descriptor: descriptor, temporary: temporary)
        }
    }

    /// `directory`, created (with its parents) when missing; removed again on rollback.
    func prepareDirectory(_ directory: String) throws(InputError) {
        var missing: [String] = []
        var path = (directory as NSString).standardizingPath
        while !path.isEmpty, path != "/", !FileManager.default.fileExists(atPath: path) {
            missing.append(path)
            path = (path as NSString).deletingLastPathComponent
        }
        var isDirectory: ObjCBool = false
        if missing.isEmpty {
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw InputError("not a directory", file: directory)
            }
            return
        }
        for component in missing.reversed() {
            guard mkdir(component, 0o777) == 0 else {
                throw InputError("cannot create directory: \(String(cString: strerror(errno)))", file: component)
            }
            createdDirectories.append(component)
        }
    }

    /// Stages `bytes` as `fileName` inside `directory` (prepared first). `fileName` must be one
    /// plain path component: a name that could leave the directory is refused.
    func stage(_ bytes: [UInt8], named fileName: String, in directory: String) throws(InputError) {
        guard Self.isPlainFileName(fileName) else {
            throw InputError("refusing to write '\(fileName)': not a plain file name", file: directory)
        }
        let path = (directory as NSString).appendingPathComponent(fileName)
        // Inside the output directory an existing entry is replaced, never followed.
        let (descriptor, temporary) = try Self.createTemporary(beside: path)
        pending.append(.rename(temporary: temporary, final: path))
        let stream = StagedOutput(path: path, descriptor: descriptor, temporary: temporary)
        try stream.write(bytes)
        try stream.close()
    }

    static func isPlainFileName(_ name: String) -> Bool {
        !name.isEmpty && name != "." && name != ".." && !name.contains("/") && !name.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    /// Puts every staged file in place: first every rename (a file it replaces is kept under a
    /// hard link until all renames succeeded, and put back if one fails), then the writes
    /// through devices and pipes, which cannot be taken back.
    func commit() throws(InputError) {
        finished = true
        var done: [(final: String, backup: String?)] = []
        var failure: InputError?
        for item in pending {
            guard case .rename(let temporary, let final) = item else { continue }
            if failure != nil { unlink(temporary); continue }
            var backup: String?
            var info = stat()
            if lstat(final, &info) == 0, info.st_mode & S_IFMT == S_IFREG {
                let name = (final as NSString).deletingLastPathComponent
                let candidate = (name.isEmpty ? "" : name + "/") + ".\((final as NSString).lastPathComponent.prefix(64)).argus-\(getpid())-\(UInt32.random(in: 0 ... .max)).old"
                if link(final, candidate) == 0 { backup = candidate }
            }
            if rename(temporary, final) != 0 {
                failure = InputError("cannot write: \(String(cString: strerror(errno)))", file: final)
                unlink(temporary)
                if let backup { unlink(backup) }
            } else {
                done.append((final, backup))
            }
        }
        if let failure {
            for (final, backup) in done.reversed() {
                if let backup { rename(backup, final) } else { unlink(final) }
            }
            pending = []
            rollbackDirectories()
            throw failure
        }
        for (_, backup) in done { if let backup { unlink(backup) } }
        for item in pending {
            guard case .writeThrough(let path, let bytes) = item else { continue }
            do throws(InputError) { try Self.writeThrough(bytes, to: path) } catch { failure = failure ?? error }
        }
        pending = []
        if let failure { throw failure }
    }

    private func rollbackDirectories() {
        for directory in createdDirectories.reversed() { rmdir(directory) }
        createdDirectories = []
    }

    /// Removes every temporary file and every directory this run created.
    func rollback() {
        finished = true
        for item in pending { if case .rename(let temporary, _) = item { unlink(temporary) } }
        pending = []
        rollbackDirectories()
    }

    // MARK: targets

    enum Target: Equatable {
        case replace(String)
        case writeThrough(String)
    }

    static func resolveTarget(_ path: String) throws(InputError) -> Target {
        guard !path.isEmpty else { throw InputError("an empty output path", file: path) }
        var info = stat()
        guard lstat(path, &info) == 0 else {
            guard errno == ENOENT else { throw InputError("cannot write: \(String(cString: strerror(errno)))", file: path) }
            let parent = (path as NSString).deletingLastPathComponent
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: parent.isEmpty ? "." : parent, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw InputError("cannot write: no such directory '\(parent)'", file: path)
            }
            return .replace(path)
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: return .replace(path)
        case S_IFLNK:
            guard let resolved = realpath(path, nil) else {
                throw InputError("a symbolic link to nothing (\(String(cString: strerror(errno))))", file: path)
            }
            defer { free(resolved) }
            let final = String(cString: resolved)
            var finalInfo = stat()
            guard stat(final, &finalInfo) == 0 else { throw InputError("cannot write: \(String(cString: strerror(errno)))", file: path) }
            if finalInfo.st_mode & S_IFMT == S_IFLNK { throw InputError("too many levels of symbolic links", file: path) }
            return try resolveTarget(final)
        case S_IFCHR, S_IFIFO: return .writeThrough(path)
        case S_IFDIR: throw InputError("is a directory", file: path)
        default: throw InputError("not a regular file, a device or a pipe: refusing to replace it", file: path)
        }
    }

    static func createTemporary(beside final: String) throws(InputError) -> (Int32, String) {
        let directory = (final as NSString).deletingLastPathComponent
        let base = (final as NSString).lastPathComponent
        // A new file gets 0666 less the umask (as any tool's output); a replaced file keeps its mode.
        var existing = stat()
        let keptMode: mode_t? = stat(final, &existing) == 0 && existing.st_mode & S_IFMT == S_IFREG ? existing.st_mode & 0o7777 : nil
        let mode = keptMode ?? 0o666
        for _ in 0 ..< 16 {
            let name = ".\(base.prefix(64)).argus-\(getpid())-\(UInt32.random(in: 0 ... .max)).tmp"
            let temporary = directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
            if descriptor >= 0 {
                if let keptMode { fchmod(descriptor, keptMode) }
                return (descriptor, temporary)
            }
            if errno != EEXIST { throw InputError("cannot write: \(String(cString: strerror(errno)))", file: final) }
        }
        throw InputError("cannot write: no free temporary name", file: final)
    }

    static func writeThrough(_ bytes: [UInt8], to path: String) throws(InputError) {
        // Non-blocking open: a FIFO nobody reads is an error, not a hang.
        let descriptor = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else { throw InputError("cannot write: \(String(cString: strerror(errno)))", file: path) }
        defer { close(descriptor) }
        let flags = fcntl(descriptor, F_GETFL)
        _ = fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK)
        try StagedOutput.writeAll(bytes, to: descriptor, path: path)
    }
}

/// Bytes on their way to one output file; nothing is visible at the target before commit.
final class StagedOutput {
    let path: String
    private var descriptor: Int32 = -1
    private var temporary: String?
    private var buffer: [UInt8] = []
    private let onClose: ((([UInt8]) throws(InputError) -> Void))?

    init(path: String, descriptor: Int32, temporary: String) {
        self.path = path
        self.descriptor = descriptor
        self.temporary = temporary
        onClose = nil
    }

    /// A stream collected in memory and handed to `onClose` (devices, written at commit).
    init(path: String, onClose: @escaping ([UInt8]) throws(InputError) -> Void) {
        self.path = path
        self.onClose = onClose
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    func write(_ text: String) throws(InputError) { try write(Array(text.utf8)) }

    func write(_ bytes: [UInt8]) throws(InputError) {
        buffer += bytes
        if descriptor >= 0, buffer.count >= 1 << 16 { try flush() }
    }

    private func flush() throws(InputError) {
        guard descriptor >= 0, !buffer.isEmpty else { return }
        try Self.writeAll(buffer, to: descriptor, path: path)
        buffer.removeAll(keepingCapacity: true)
    }

    func close() throws(InputError) {
        if let onClose {
            try onClose(buffer)
            buffer = []
            return
        }
        try flush()
        if descriptor >= 0 {
            let result = Glibc.close(descriptor)
            descriptor = -1
            if result != 0 { throw InputError("cannot write: \(String(cString: strerror(errno)))", file: path) }
        }
    }

    static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(InputError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw InputError("cannot write: \(String(cString: strerror(errno)))", file: path)
            }
            offset += written
        }
    }
}

/// Writes a file whole or not at all (see ``OutputTransaction`` for what the target may be).
func writeAtomically(_ bytes: [UInt8], to path: String) throws(InputError) {
    let transaction = OutputTransaction()
    do throws(InputError) {
        try transaction.stage(bytes, to: path)
        try transaction.commit()
    } catch {
        transaction.rollback()
        throw error
    }
}

/// Runs `render`, whose chunks go to `path` (all or nothing, see ``OutputTransaction``) or, when
/// `path` is nil, straight to standard output as they come.
func streamOutput(_ path: String?, in context: CommandContext, _ render: (@escaping (String) -> Void) -> Void) throws(InputError) {
    guard let path else {
        render { context.standardOutput.write($0) }
        return
    }
    let transaction = OutputTransaction()
    do throws(InputError) {
        let stream = try transaction.openStream(to: path)
        var failure: InputError?
        render { chunk in
            guard failure == nil else { return }
            do throws(InputError) { try stream.write(chunk) } catch { failure = error }
        }
        if let failure { throw failure }
        try stream.close()
        try transaction.commit()
    } catch {
        transaction.rollback()
        throw error
    }
}

/// Gathers small pieces of output into writes of about 64 KiB.
final class BufferedSink {
    private var buffer = ""
    private let write: (String) -> Void

    init(_ write: @escaping (String) -> Void) { self.write = write }

    func callAsFunction(_ text: String) {
        buffer += text
        if buffer.utf8.count >= 1 << 16 { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        write(buffer)
        buffer = ""
    }
}
