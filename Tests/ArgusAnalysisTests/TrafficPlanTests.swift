import Testing
@testable import ArgusAnalysis

/// The traffic simulator draws its messages ahead (to warm the caches for them); the messages
/// must be exactly those a one-at-a-time draw gives, including after draws taken outside the
/// plan (a churn before a message, a sender's notify after an EAGAIN).
@Suite struct TrafficPlanTests {
    struct Fields: Equatable {
        var route: Int32, sender: Int32, ring: Int32, owner: Int32, size: Int32, stray: Bool
        init(_ m: PlannedMessage) {
            route = m.route; sender = m.sender; ring = m.ring; owner = m.owner; size = m.sizeIndex; stray = m.stray
        }
    }

    @Test(arguments: [(40, 300, 12, 3), (7, 0, 3, 1), (5, 9, 0, 2), (1, 1, 1, 1)])
    func planEqualsDrawingOneAtATime(domains: Int, rings: Int, routes: Int, sizes: Int) {
        let draws = TrafficDraws(domainCount: domains, ringCount: rings, routeCount: routes, sizeCount: sizes)
        var events = SeededRandom(seed: UInt64(domains * 1000 + rings))
        let start = SeededRandom(seed: 99)
        var plan = TrafficPlan(draws: draws, random: start)
        // The reference: the state before the current message, drawn one message at a time.
        var before = TrafficDraws.State(random: start)
        var mismatches = 0
        for _ in 0..<5000 {
            switch events.below(10) {
            case 0:
                // A churn draws between the previous message and this one.
                var state = plan[0].before
                _ = state.random.next()
                plan.redraw(from: state, after: 0)
                _ = before.random.next()
            default: break
            }
            // The plan, all the way ahead, equals drawing in order from the reference state.
            var reference = before
            for distance in 0..<TrafficPlan.depth where Fields(plan[distance]) != Fields(draws.draw(&reference)) {
                mismatches += 1
            }
            var after = before
            _ = draws.draw(&after)
            #expect(plan.stateAfterCurrent == after)
            if events.below(6) == 0 {
                // An EAGAIN: the stream ends and the sender may draw for its notify.
                var state = plan.stateAfterCurrent
                state.streamLeft = 0
                _ = state.random.oneIn(16)
                plan.redraw(from: state, after: 1)
                after.streamLeft = 0
                _ = after.random.oneIn(16)
            }
            plan.advance()
            before = after
        }
        #expect(mismatches == 0)
    }
}
