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

    public static func load(_ path: String) throws(InputError) -> [DomainSpec] {
        let text = try TextInput.decode(Data(try TOMLDocument.readBytes(path)), file: path)
        return try parse(text, path: path)
    }

    public static func parse(_ text: String, path: String) throws(InputError) -> [DomainSpec] {
        var domains: [DomainSpec] = []
        var sawHeader = false
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
                guard words.map(String.init) == header else {
                    throw InputError("expected the header of 'xl list -Z' (Name ID Mem VCPUs State Time(s) Security Label)", at: place)
                }
                sawHeader = true
                continue
            }
            let spec = try domain(line, words: words, at: place)
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

    static func domain(_ line: Substring, words: [Substring], at place: SourceLocation) throws(InputError) -> DomainSpec {
        guard words.count >= 7 else {
            throw InputError("expected a name and six columns (ID Mem VCPUs State Time(s) Security Label), found \(words.count) words", at: place)
        }
        let columns = words.suffix(6).map(String.init)
        func column(_ k: Int) -> SourceLocation {
            let word = words[words.count - 6 + k]
            return SourceLocation(file: place.file, line: place.line, column: line.unicodeScalars.distance(from: line.startIndex, to: word.startIndex) + 1)
        }
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
        let nameEnd = words[words.count - 6].startIndex
        var name = String(line[line.startIndex ..< nameEnd].trimmingCharacters(in: CharacterSet(charactersIn: " \t")))
        if id == 0 && name == "Domain-0" { name = "dom0" }
        if let problem = DomainName.problem(with: name) {
            throw InputError("\(problem) (Argus names domains with identifiers)", at: place)
        }
        var spec = DomainSpec(name: name, domid: UInt16(id), label: label, privileged: id == 0, location: place,
                              labelLocation: column(5))
        spec.createdBeforePolicy = id == 0
        return spec
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}
