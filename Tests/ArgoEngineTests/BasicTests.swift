import Testing
@testable import ArgoEngine

@Suite struct BasicMessagingTests {
    @Test func registerSendReadRoundTrip() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 4032)
        let sent = try hv.guest(0).sendv(source: address(any, 7), destination: address(1, 1),
                                         iovs: [Array("text".utf8), [0x00, 0xff], Array(repeating: 0, count: 100)],
                                         messageType: 0x1234_5678)
        #expect(sent == 106)
        #expect(hv.drainSignals() == [1])
        let messages = a1.receive(aport: 1, partner: 0)
        #expect(messages.count == 1)
        #expect(messages.first?.source == address(0, 7))
        #expect(messages.first?.messageType == 0x1234_5678)
        #expect(messages.first?.payload == Array("text".utf8) + [0, 0xff] + Array(repeating: 0, count: 100))
        let record = try #require(a1.ring(aport: 1, partner: 0))
        #expect(a1.pointers(record).rx == 128)
        #expect(a1.pointers(record).tx == 128)
    }

    @Test func ringHeaderLayoutIsXens() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 2, length: 64)
        try hv.guest(2).sendv(source: address(2, 9), destination: address(1, 1), iovs: [[1, 2, 3]], messageType: 7)
        let bytes = a1.ringBytes(try #require(a1.ring(aport: 1, partner: 2)))
        #expect(bytes.count == 128)
        #expect(Array(bytes[0 ..< 8]) == [0, 0, 0, 0, 32, 0, 0, 0])           // rx 0, tx 32
        #expect(Array(bytes[64 ..< 83]) == [19, 0, 0, 0, 9, 0, 0, 0, 2, 0, 0, 0, 7, 0, 0, 0, 1, 2, 3])
    }

    @Test func wrapAroundSplitsPayload() throws {
        let hv = makeWorld()
        let a1 = hv.guest(1)
        try a1.registerRing(aport: 1, partner: 0, length: 64)
        let d0 = hv.guest(0)
        let record = try #require(a1.ring(aport: 1, partner: 0))
        try d0.sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(repeating: 0xAA, count: 16)], messageType: 1)
        _ = a1.readMessages(record)
        // tx 32: header at 32, payload 16 at 48; ring of 64 then wraps.
        try d0.sendv(source: address(0, 1), destination: address(1, 1), iovs: [Array(1 ... 20)], messageType: 2)
        #expect(a1.pointers(record).tx == (32 + 16 + 32) % 64)
        let messages = a1.readMessages(record)
        #expect(messages.map(\.payload) == [Array(1 ... 20)])
    }

    @Test func bootOptionParsing() {
        var settings = ArgoBootSettings(argoEnabled: false)
        let ok59 = settings.applyArgoOption("1,mac-permissive")
        #expect(ok59)
        #expect(settings.argoEnabled && settings.macPermissive)
        let ok560 = settings.applyArgoOption("no-mac-permissive,off")
        #expect(ok560)
        #expect(!settings.argoEnabled && !settings.macPermissive)
        let ok864 = settings.applyArgoOption("")
        #expect(!ok864)
        #expect(!settings.argoEnabled)
        let ok797 = settings.applyArgoOption("mac-permissive=yes,true")
        #expect(ok797)
        #expect(settings.argoEnabled && settings.macPermissive)
        let ok115 = settings.applyArgoOption("no-mac-permissive=1")
        #expect(!ok115)
    }
}
