import Foundation

/// Runs setools' `seinfo` on a binary policy and returns its statistics by label.
public enum Seinfo {
    public static func statistics(of path: String) throws -> [String: Int] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/seinfo")
        process.arguments = [path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var stats: [String: Int] = [:]
        // Lines look like "  Classes:    13    Permissions:   177".
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let cells = line.split(separator: ":", omittingEmptySubsequences: false)
            guard cells.count >= 2 else { continue }
            var label = cells[0].trimmingCharacters(in: .whitespaces)
            for cell in cells.dropFirst() {
                let words = cell.split(separator: " ", omittingEmptySubsequences: true)
                guard let first = words.first, let value = Int(first) else { break }
                stats[label] = value
                label = words.dropFirst().joined(separator: " ")
            }
        }
        return stats
    }
}
