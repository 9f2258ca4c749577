import Flask
import Foundation

/// A domain as Xen's `%pd` prints it in an AVC record: `d5`, or a system domain (`d[IDLE]`).
public enum AVCDomain: Sendable, Equatable, Codable, CustomStringConvertible {
    case domid(Int)
    case system(String)

    init(_ text: Substring) {
        if text.hasPrefix("d"), let n = Int(text.dropFirst()), n >= 0 { self = .domid(n) }
        // Xen before 4.17.0 printed plain numbers (`domid=5 target=3`, 6cecffc7a6).
        else if let n = Int(text), n >= 0 { self = .domid(n) }
        else { self = .system(String(text)) }
    }

    public var description: String {
        switch self {
        case .domid(let n): "d\(n)"
        case .system(let s): s
        }
    }
}

/// One AVC record read from a console log (`avc:  denied  { send } for source=d5 target=d3 …`).
public struct AVCLogRecord: Sendable, Equatable {
    /// 1-based line number in the log.
    public var line: Int
    /// The record from `avc:` on, without console prefixes.
    public var text: String
    public var denied: Bool
    public var permissions: [String]
    /// `source=` (domain-pair checks) or `current=` (checks against the hypervisor).
    public var source: AVCDomain?
    /// `target=`; absent when the target is the source itself.
    public var target: AVCDomain?
    /// True for the `current=dN` form.
    public var usesCurrent: Bool
    public var sourceContext: String?
    public var targetContext: String?
    public var sourceSID: String?
    public var targetSID: String?
    public var tclass: String
}

/// An AVC line the parser could not read.
public struct MalformedAVCLine: Sendable, Equatable, Codable {
    public var location: SourceLocation
    public var reason: String
    public var text: String
}

/// What a console log holds, as far as AVC records go.
public struct AVCLog: Sendable {
    public var path: String
    public var records: [AVCLogRecord] = []
    public var malformed: [MalformedAVCLine] = []
    /// AVC records of classes other than `argo` (counted, not explained), by class.
    public var otherClasses: [String: Int] = [:]
    /// Lines that are not AVC records at all.
    public var otherLines = 0
    public var totalLines = 0

    mutating func add(_ kind: AVCLogParser.LineKind) {
        totalLines += 1
        switch kind {
        case .other: otherLines += 1
        case .argoRecord(let record): records.append(record)
        case .otherClass(let tclass): otherClasses[tclass, default: 0] += 1
        case .malformed(let line): malformed.append(line)
        }
    }
}

/// Reads Xen console output (`xl dmesg`, a serial log): strips `(XEN) ` and `[   12.345678]`
/// prefixes and reads every line whose text then starts with `avc:`.
public enum AVCLogParser {
    public static func load(_ path: String) throws(InputError) -> AVCLog {
        var log = AVCLog(path: path)
        do {
            try forEachLine(of: path) { line, number in log.add(classify(line, number: number, path: path)) }
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError("cannot read: \(error)", file: path)
        }
        return log
    }

    public static func parse(_ text: String, path: String) -> AVCLog {
        var log = AVCLog(path: path)
        var n = 0
        // LF or CR LF line ends (Swift reads CR LF as one Character: never split on "\n").
        TextInput.forEachLine(text) { line in
            n += 1
            log.add(classify(line, number: n, path: path))
        }
        return log
    }

    /// What one console line is, as far as AVC records go.
    public enum LineKind: Sendable {
        case other
        case argoRecord(AVCLogRecord)
        case otherClass(String)
        case malformed(MalformedAVCLine)
    }

    /// Reads line `number` (1-based) of the log at `path`.
    public static func classify(_ line: Substring, number: Int, path: String) -> LineKind {
        guard let body = avcBody(line) else { return .other }
        switch parseRecord(body, line: number) {
        case .success(let record):
            return record.tclass == "argo" ? .argoRecord(record) : .otherClass(record.tclass)
        case .failure(let failure):
            return .malformed(MalformedAVCLine(location: SourceLocation(file: path, line: number), reason: failure.reason, text: String(body)))
        }
    }

    /// Calls `body` with each line of the file at `path` and its 1-based number, reading 1 MiB
    /// at a time (memory does not grow with the log). Lines end at LF; one CR before it is
    /// dropped; bytes that are not UTF-8 are decoded leniently (consoles are not always clean).
    public static func forEachLine(of path: String, _ body: (Substring, Int) throws -> Void) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let handle = FileHandle(forReadingAtPath: path) else {
            throw InputError("no such file or cannot read it", file: path)
        }
        defer { try? handle.close() }
        var pending: [UInt8] = []
        var number = 0
        func emit(_ bytes: ArraySlice<UInt8>) throws {
            number += 1
            var line = bytes
            if line.last == 0x0D { line = line.dropLast() }
            try body(Substring(String(decoding: line, as: UTF8.self)), number)
        }
        while true {
            let chunk: Data
            do { chunk = try handle.read(upToCount: 1 << 20) ?? Data() } catch {
                throw InputError("cannot read: \(error.localizedDescription)", file: path)
            }
            if chunk.isEmpty { break }
            pending += chunk
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0A) {
                try emit(pending[start ..< newline])
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { try emit(pending[...]) }
    }

    /// The text from `avc:` on, when the line is an AVC record behind console prefixes.
    static func avcBody(_ line: Substring) -> Substring? {
        var rest = line.drop { $0 == " " || $0 == "\t" }
        while true {
            if rest.hasPrefix("(XEN)") {
                rest = rest.dropFirst(5)
            } else if rest.hasPrefix("["), let close = rest.firstIndex(of: "]") {
                // A timestamp (`[   12.345678]`, `[2024-01-01 10:00:00.123]`) or a log level.
                rest = rest[rest.index(after: close)...]
            } else if rest.hasPrefix("<"), let close = rest.firstIndex(of: ">"), rest.distance(from: rest.startIndex, to: close) <= 4 {
                rest = rest[rest.index(after: close)...]  // printk level such as <4>
            } else {
                break
            }
            rest = rest.drop { $0 == " " || $0 == "\t" }
        }
        return rest.hasPrefix("avc:") ? rest : nil
    }

    struct Failure: Error { var reason: String }

    /// `text` without the carriage returns at its end (CR CR LF line ends), in UTF-8 units.
    static func trimmingTrailingCRs(_ text: Substring) -> Substring {
        var end = text.utf8.endIndex
        while end > text.utf8.startIndex, text.utf8[text.utf8.index(before: end)] == 0x0D { end = text.utf8.index(before: end) }
        return text[text.startIndex ..< end]
    }

    /// The class a record names: its last `tclass=` word (Xen prints it last; Linux's SELinux
    /// records add `permissive=` after it, and quote or hex-encode anything with blanks).
    static func namedClass(_ words: [Substring]) -> Substring? {
        words.last { $0.hasPrefix("tclass=") }.map { $0.dropFirst(7) }
    }

    static func parseRecord(_ body: Substring, line: Int) -> Result<AVCLogRecord, Failure> {
        // Serial consoles end lines with CR CR LF: a stray CR is blank space, not part of a word.
        let words = body.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
        // A record of another class (a domain or resource check, another kernel's SELinux record
        // on a shared serial console) is counted and skipped, however the rest of it reads.
        if let tclass = namedClass(words), !tclass.isEmpty, tclass != "argo" {
            return .success(AVCLogRecord(line: line, text: "", denied: false, permissions: [], source: nil, target: nil,
                                         usesCurrent: false, sourceContext: nil, targetContext: nil, sourceSID: nil,
                                         targetSID: nil, tclass: String(tclass)))
        }
        guard words.count >= 2, words[0] == "avc:" else { return .failure(Failure(reason: "expected 'avc:  denied' or 'avc:  granted'")) }
        guard words[1] == "denied" || words[1] == "granted" else {
            return .failure(Failure(reason: "expected 'denied' or 'granted' after 'avc:', found '\(words[1])'"))
        }
        var i = 2
        var permissions: [String] = []
        if i < words.count, words[i] == "null" {
            i += 1
        } else if i < words.count, words[i] == "{" {
            i += 1
            while i < words.count, words[i] != "}" {
                permissions.append(String(words[i]))
                i += 1
            }
            guard i < words.count else { return .failure(Failure(reason: "permission list not closed with '}' (truncated line?)")) }
            i += 1
        } else {
            return .failure(Failure(reason: "expected '{ permissions }' after '\(words[1])'"))
        }
        guard i < words.count, words[i] == "for" else { return .failure(Failure(reason: "expected 'for' after the permissions")) }
        i += 1
        var fields: [String: String] = [:]
        for word in words[i...] {
            guard let eq = word.firstIndex(of: "="), eq != word.startIndex else {
                return .failure(Failure(reason: "expected key=value, found '\(word)'"))
            }
            fields[String(word[..<eq])] = String(word[word.index(after: eq)...])
        }
        guard let tclass = fields["tclass"], !tclass.isEmpty else {
            return .failure(Failure(reason: "no tclass= (truncated line?)"))
        }
        guard fields["scontext"] != nil || fields["ssid"] != nil else { return .failure(Failure(reason: "no scontext= or ssid=")) }
        guard fields["tcontext"] != nil || fields["tsid"] != nil else { return .failure(Failure(reason: "no tcontext= or tsid=")) }
        if tclass == "argo" {
            if permissions.isEmpty { return .failure(Failure(reason: "no permission named")) }
            let known = ArgoPermission.allCases.map(\.rawValue)
            if let bad = permissions.first(where: { !known.contains($0) }) {
                return .failure(Failure(reason: "'\(bad)' is not a permission of class argo"))
            }
            if fields["source"] == nil && fields["current"] == nil && fields["domid"] == nil {
                return .failure(Failure(reason: "no source=, current= or domid= domain"))
            }
        }
        // Xen before 4.17.0 wrote `domid=N` for both: the current domain of a check against the
        // hypervisor (enable, register_any_source), the source of a domain-pair check.
        let hypervisorCheck = permissions.allSatisfy { $0 == "enable" || $0 == "register_any_source" }
        let current = fields["current"] ?? (hypervisorCheck ? fields["domid"] : nil)
        let source = fields["source"] ?? (hypervisorCheck ? nil : fields["domid"])
        return .success(AVCLogRecord(
            line: line, text: String(Self.trimmingTrailingCRs(body)), denied: words[1] == "denied", permissions: permissions,
            source: (source ?? current).map { AVCDomain(Substring($0)) },
            target: fields["target"].map { AVCDomain(Substring($0)) },
            usesCurrent: source == nil && current != nil,
            sourceContext: fields["scontext"], targetContext: fields["tcontext"],
            sourceSID: fields["ssid"], targetSID: fields["tsid"], tclass: tclass))
    }
}
