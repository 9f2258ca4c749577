import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Limits for the tools that compile policy sources (m4, checkpolicy). A policy source tree is
/// code that m4 runs: it can expand without end or allocate without end, so every run has a
/// wall-clock time, an address-space size, and a size for what it may write.
public struct ToolLimits: Sendable, Equatable {
    /// Wall-clock seconds for each tool run.
    public var seconds: Double
    /// Address space of each tool process, in bytes (`ulimit -v`).
    public var memoryBytes: Int
    /// Bytes a tool may write to standard output (m4's policy.conf) and to any file.
    public var outputBytes: Int

    public static let defaultSeconds = 60.0
    public static let defaultMemoryMiB = 1024

    public init(seconds: Double = defaultSeconds, memoryMiB: Int = defaultMemoryMiB) {
        self.seconds = seconds
        memoryBytes = memoryMiB << 20
        // What m4 may write is bounded by the same budget: Argus holds it in memory.
        outputBytes = max(1 << 20, memoryBytes / 4)
    }
}

/// Runs a tool in its own process group under `ToolLimits`. The group is killed when the
/// tool runs out of time or output, and when Argus receives SIGINT, SIGTERM or SIGHUP, so no
/// tool outlives the command that started it.
enum ToolRunner {
    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: [UInt8]
    }

    enum Failure: Error {
        case cannotStart(String)
        case timedOut
        case outputTooLarge
    }

    /// Applies the limits, changes directory, then becomes the tool (so the group is one process).
    private static let launcher = #"ulimit -v "$1" && ulimit -f "$2" && ulimit -t "$3" && cd -- "$4" && shift 4 && exec "$@""#

    static func run(_ executable: String, _ arguments: [String], in directory: URL?, limits: ToolLimits) throws(Failure) -> Result {
        let cpuSeconds = Int(limits.seconds.rounded(.up)) + 1
        let argv = ["/bin/sh", "-c", launcher, "argus-tool",
                    String(max(1, limits.memoryBytes >> 10)), String(max(1, limits.outputBytes >> 9)), String(cpuSeconds),
                    directory?.path ?? ".", executable] + arguments
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
        guard pipe(&outPipe) == 0 else { throw .cannotStart("pipe: \(String(cString: strerror(errno)))") }
        guard pipe(&errPipe) == 0 else {
            close(outPipe[0]); close(outPipe[1])
            throw .cannotStart("pipe: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // A new process group (pgid = the child's pid): one kill reaches everything it started.
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGHUP, SIGPIPE] { sigaddset(&defaults, s) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))

        ToolGroups.installHandlers()
        var pid: pid_t = 0
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let rc = ToolGroups.spawning {
            posix_spawn(&pid, "/bin/sh", &actions, &attributes, cArgs, environ)
        } register: { pid }
        close(outPipe[1]); close(errPipe[1])
        defer { close(outPipe[0]); close(errPipe[0]) }
        guard rc == 0 else { throw .cannotStart(String(cString: strerror(rc))) }
        defer { ToolGroups.unregister(pid) }
        // A parent may have started Argus with these signals blocked (thread pools often block
        // them): while a tool runs they must reach the handler that kills its group.
        var termination = sigset_t(), previousMask = sigset_t()
        sigemptyset(&termination)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&termination, s) }
        pthread_sigmask(SIG_UNBLOCK, &termination, &previousMask)
        defer { pthread_sigmask(SIG_SETMASK, &previousMask, nil) }

        var out: [UInt8] = [], err: [UInt8] = []
        let deadline = Date().addingTimeInterval(limits.seconds)
        var failure: Failure?
        var open = [outPipe[0], errPipe[0]]
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !open.isEmpty {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { failure = .timedOut; break }
            var fds = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), Int32(min(remaining, 1) * 1000) + 1)
            if ready < 0 && errno != EINTR { failure = .timedOut; break }
            for f in fds where f.revents != 0 {
                let n = read(f.fd, &buffer, buffer.count)
                if n <= 0 { open.removeAll { $0 == f.fd }; continue }
                if f.fd == outPipe[0] { out += buffer[0..<n] } else if err.count < 65536 { err += buffer[0..<n] }
            }
            if out.count > limits.outputBytes { failure = .outputTooLarge; break }
        }
        if failure != nil { kill(-pid, SIGKILL) }
        var status: Int32 = 0
        while true {
            let w = waitpid(pid, &status, failure == nil ? WNOHANG : 0)
            if w == pid || (w < 0 && errno != EINTR) { break }
            if deadline.timeIntervalSinceNow <= 0 {
                failure = .timedOut
                kill(-pid, SIGKILL)
                continue
            }
            usleep(2000)
        }
        // Whatever the tool left behind in its group goes too.
        kill(-pid, SIGKILL)
        if let failure { throw failure }
        // Killed by a signal (a CPU or file-size limit): report as a failure status.
        let exited = status & 0x7f == 0
        return Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: out, stderr: err)
    }
}

/// The process groups of running tools, for the signal handler.
enum ToolGroups {
    static let capacity = 64
    nonisolated(unsafe) private static let groups: UnsafeMutablePointer<pid_t> = {
        let p = UnsafeMutablePointer<pid_t>.allocate(capacity: capacity)
        p.initialize(repeating: 0, count: capacity)
        return p
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false

    /// Spawns under the lock with the signals blocked, so that no signal can arrive between the
    /// spawn and the registration of the new group.
    static func spawning(_ spawn: () -> Int32, register pid: () -> pid_t) -> Int32 {
        var block = sigset_t(), old = sigset_t()
        sigemptyset(&block)
        for s in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&block, s) }
        pthread_sigmask(SIG_BLOCK, &block, &old)
        defer { pthread_sigmask(SIG_SETMASK, &old, nil) }
        lock.lock()
        defer { lock.unlock() }
        let rc = spawn()
        if rc == 0, let slot = (0..<capacity).first(where: { groups[$0] == 0 }) { groups[slot] = pid() }
        return rc
    }

    static func unregister(_ pid: pid_t) {
        lock.lock()
        defer { lock.unlock() }
        for i in 0..<capacity where groups[i] == pid { groups[i] = 0 }
    }

    /// Kills every registered group, then lets the signal do what it would have done.
    static func installHandlers() {
        lock.lock()
        defer { lock.unlock() }
        guard !installed else { return }
        installed = true
        _ = groups  // initialised here, never first inside the handler
        for s in [SIGINT, SIGTERM, SIGHUP] {
            var previous = sigaction()
            sigaction(s, nil, &previous)
            // Leave a disposition someone else chose (ignored, or handled) alone.
            guard previous.__sigaction_handler.sa_handler == nil else { continue }
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                for i in 0..<ToolGroups.capacity where ToolGroups.groups[i] > 0 { kill(-ToolGroups.groups[i], SIGKILL) }
                Glibc.signal(signal, SIG_DFL)
                raise(signal)
            }
            sigemptyset(&action.sa_mask)
            sigaction(s, &action, nil)
        }
    }
}
