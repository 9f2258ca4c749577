import ArgumentParser

/// The command lines a cold `argus audit` is usually given, read without ArgumentParser:
///
///     audit POLICY --system FILE [--format FORMAT] [--xen VERSION] [--output FILE]
///           [--explain] [--verbose] [--services] [--force]
///
/// in any order, each option at most once, every option and value its own word.
/// ArgumentParser builds the same command from these (`AuditCommandLineTests` compares
/// every field), but gets there by reflecting over each option of the command and of the
/// command tree: about 2 ms of a 9 ms cold audit. Anything else (help, `--name=value`, a
/// short name, a value that starts with `-`, a repeated option, an option not listed here,
/// an unknown format, a second positional word) gives nil, and ArgumentParser parses it, with
/// its own messages for whatever is wrong.
extension AuditCommand {
    static let commonValueOptions = ["--system", "--format", "--xen", "--output"]
    static let commonFlags = ["--explain", "--verbose", "--services", "--force"]

    init?(commonCommandLine arguments: ArraySlice<String>) {
        var values = [String?](repeating: nil, count: Self.commonValueOptions.count)
        var flags = [Bool](repeating: false, count: Self.commonFlags.count)
        var policy: String?
        var words = arguments.makeIterator()
        while let word = words.next() {
            if let option = Self.commonValueOptions.firstIndex(of: word) {
                guard values[option] == nil, let value = words.next(), !value.isEmpty, !value.hasPrefix("-"), value != "help" else { return nil }
                values[option] = value
            } else if let flag = Self.commonFlags.firstIndex(of: word) {
                guard !flags[flag] else { return nil }
                flags[flag] = true
            } else if word.isEmpty || word.hasPrefix("-") || word == "help" || policy != nil {
                return nil
            } else {
                policy = word
            }
        }
        func value(_ name: String) -> String? { values[Self.commonValueOptions.firstIndex(of: name)!] }
        func flag(_ name: String) -> Bool { flags[Self.commonFlags.firstIndex(of: name)!] }
        guard let policy, let systemFile = value("--system"),
              let format = Format(rawValue: value("--format") ?? Format.text.rawValue) else { return nil }

        // Every option of the command is set, as ArgumentParser sets each to its value or its
        // default: one left unset would trap when read.
        var limits = CompileLimitOptions()
        limits.seconds = nil
        limits.memoryMiB = nil
        var policyOptions = PolicyOptions()
        policyOptions.policy = policy
        policyOptions.flaskDirectory = nil
        policyOptions.mls = false
        policyOptions.compileLimits = limits
        var xen = XenOptions()
        xen.xen = value("--xen")
        xen.arch = nil
        xen.xlInfo = nil
        xen.force = flag("--force")

        self.init()
        options = SystemOptions(policy: policyOptions, xen: xen, systemFile: systemFile, booleans: [])
        self.format = format
        explain = flag("--explain")
        verbose = flag("--verbose")
        services = flag("--services")
        sourcePort = nil
        processes = false
        output = value("--output")
        guard (try? options.validate()) != nil else { return nil }
    }
}
