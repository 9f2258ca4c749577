import Testing
@testable import TOMLReader

@Suite struct TOMLReaderTests {
    @Test func readsTablesArraysAndPositions() throws {
        let doc = try TOMLReader.parse("""
        title = "x" # c
        [boot]
        argo = true
        [[domain]]
        name = 'dom0'
        domid = 0
        [[domain]]
        name = "a1"
        domid = 0x10
        tags = [1, 2.5, "s", [true], {k = 1}]
        """)
        #expect(doc["title"]?.string == "x")
        #expect(doc["boot"]?.table?["argo"]?.bool == true)
        let domains = try #require(doc["domain"]?.array)
        #expect(domains.count == 2)
        #expect(domains[1].table?["domid"]?.int == 16)
        let entry = try #require(domains[1].table?.entry("name"))
        #expect(entry.valuePosition == TOMLPosition(line: 8, column: 8))
        #expect(entry.keyPosition == TOMLPosition(line: 8, column: 1))
        #expect(domains[1].table?.position == TOMLPosition(line: 7, column: 1))
    }
}
