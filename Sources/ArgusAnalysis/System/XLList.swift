import Flask
import Foundation

/// The running domains of a live host, from the output of `xl list -Z` (tools/xl/xl_info.c,
/// `list_domains`): a header line, then per domain `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f`
/// (name, ID, Mem, VCPUs, State, Time(s)) and ` %16s`, the security label (`-` when the
/// domain has none: XSM without FLASK, or FLASK off).
///
/// The name is padded, not quoted, so a line is read from its right end: the last six words
/// are the columns, everything before them is the name. `Domain-0` (domain 0) is named `dom0`,
/// as the system file names it; a domain named `NAME-dm` is taken as the stub device model of
/// `NAME` when that domain is listed too (libxl's naming, `libxl__stub_dm_name`).
public enum XLList {
    static let header = ["Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "Security", "Label"]
    /// `xl list -v` (the label comes with it): UUID and Reason-Code before the label.
    static let verboseHeader = ["Name", "ID", "Mem", "VCPUs", "State", "Time(s)", "UUID", "Reason-Code", "Security", "Label"]

    public static func load(_ path: String) throws(InputError) -> [DomainSpec] {
        let text = try TextInput.decode(Data(try TOMLDocument.readBytes(path)), file: path)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(InputError) -> [DomainSpec] {
        var domains: [DomainSpec] = []
        var sawHeader = false
        var verbose = false
        var names: [String: Int] = [:], domids: [UInt16: Int] = [:]
        var number = 0
        for line in TextInput.lines(text) {
            number += 1
            let place = SourceLocation(file: path, line: number, column: 1)
            let scalars = Array(line.unicodeScalars)
            if let bad = scalars.firstIndex(where: { TOMLDocument.isControl($0) && $0 != "\t" }) {
                throw InputError("control character \(TOMLDocument.codePoint(scalars[bad])) in xl list output",
                                 at: SourceLocation(file: path, line: number, column: bad + 1))
            }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if words.isEmpty { continue }
            guard sawHeader else {
                let found = words.map(String.init)
                guard found == header || found == verboseHeader else {
                    throw InputError("expected the header of 'xl list -Z' (Name ID Mem VCPUs State Time(s) Security Label) or 'xl list -v'", at: place)
                }
                verbose = found == verboseHeader
                sawHeader = true
                continue
            }
            let spec = try domain(line, words: words, verbose: verbose, at: place)
            if let first = names[spec.name] {
                throw InputError("duplicate domain name '\(spec.name)' (also line \(domains[first].location?.line ?? 0))", at: place)
            }
            if let first = domids[spec.domid] {
                throw InputError("duplicate domain ID \(spec.domid) (also '\(domains[first].name)')", at: place)
            }
            names[spec.name] = domains.count
            domids[spec.domid] = domains.count
            domains.append(spec)
        }
        guard sawHeader else { throw InputError("empty: expected the output of 'xl list -Z'", file: path) }
        for i in domains.indices where domains[i].name.hasSuffix("-dm") {
            let guest = String(domains[i].name.dropLast(3))
            if names[guest] != nil { domains[i].target = guest }
        }
        return domains
    }

    static func domain(_ line: Substring, words: [Substring], verbose: Bool, at place: SourceLocation) throws(InputError) -> DomainSpec {
        // -v: ` UUID`, then ` %8x` (the shutdown reason) or `-`, between Time(s) and the label.
        let count = verbose ? 8 : 6
        guard words.count > count else {
            throw InputError(verbose ? "expected a name and eight columns (ID Mem VCPUs State Time(s) UUID Reason-Code Security Label), found \(words.count) words"
                                     : "expected a name and six columns (ID Mem VCPUs State Time(s) Security Label), found \(words.count) words", at: place)
        }
        var all = words.suffix(count).map(String.init)
        func column(_ k: Int) -> SourceLocation {
            let index = k == 5 ? words.count - 1 : words.count - count + k
            return SourceLocation(file: place.file, line: place.line, column: line.unicodeScalars.distance(from: line.startIndex, to: words[index].startIndex) + 1)
        }
        var uuid: String?
        if verbose {
            func at(_ k: Int) -> SourceLocation {
                SourceLocation(file: place.file, line: place.line, column: line.unicodeScalars.distance(from: line.startIndex, to: words[words.count - k].startIndex) + 1)
            }
            guard XLConfig.isUUID(all[5]) else { throw InputError("UUID '\(all[5])' is not a UUID", at: at(3)) }
            guard all[6] == "-" || (all[6].count <= 8 && all[6].allSatisfy(\.isHexDigit)) else {
                throw InputError("Reason-Code '\(all[6])' is not xl's shutdown reason (hex or -)", at: at(2))
            }
            uuid = all[5]
            all.removeSubrange(5 ... 6)
        }
        let columns = all
        let nameEnd = words[words.count - count].startIndex
        guard columns[0].allSatisfy(\.isASCIIDigit), let id = Int(columns[0].prefix(6)), columns[0].count <= 5, id <= Int(SystemInventory.maxDomid) else {
            throw InputError("ID '\(columns[0])' is not a domid (0 to \(SystemInventory.maxDomid))", at: column(0))
        }
        for (k, what) in [(1, "Mem"), (2, "VCPUs")] where !(columns[k].allSatisfy(\.isASCIIDigit) && columns[k].count <= 20) {
            throw InputError("\(what) '\(columns[k])' is not a number", at: column(k))
        }
        let state = Array(columns[3])
        let allowed: [Set<Character>] = [["r", "-"], ["b", "-"], ["p", "-"], ["s", "-"], ["-", "r", "s", "c", "w", "S", "?"], ["d", "-"]]
        guard state.count == 6, zip(state, allowed).allSatisfy({ $1.contains($0) }) else {
            throw InputError("State '\(columns[3])' is not xl's six state letters (rbpscd or -)", at: column(3))
        }
        let time = columns[4].split(separator: ".", omittingEmptySubsequences: false)
        guard time.count == 2, time[1].count == 1, !time[0].isEmpty, time.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }) else {
            throw InputError("Time(s) '\(columns[4])' is not xl's %.1f seconds", at: column(4))
        }
        let label = columns[5]
        guard label != "-" else {
            throw InputError("domain \(id) has no security label ('-': is FLASK running on that host?)", at: column(5))
        }
        var name = String(line[line.startIndex ..< nameEnd].trimmingCharacters(in: CharacterSet(charactersIn: " \t")))
        if id == 0 && name == "Domain-0" { name = "dom0" }
        if let problem = DomainName.problem(with: name) {
            throw InputError("\(problem) (Argus names domains with identifiers)", at: place)
        }
        var spec = DomainSpec(name: name, domid: UInt16(id), label: label, privileged: id == 0, location: place,
                              labelLocation: column(5))
        spec.createdBeforePolicy = id == 0
        spec.uuid = uuid
        return spec
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
