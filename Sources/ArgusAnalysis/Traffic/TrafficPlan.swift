/// The random choices behind one message of a workload, drawn ahead of the send so that the
/// simulator can warm the caches for it (see ``TrafficSimulator``'s pipeline).
struct PlannedMessage {
    /// The generator as it stood before this message's draws: where to start again when
    /// something outside the plan (a churn, a sender's notify) takes a draw.
    var before: TrafficDraws.State
    /// Index into the routes, or -1 for a stray send.
    var route: Int32
    var sender: Int32
    /// Index into the planned rings, or -1 (a stray send when no ring is planned at all).
    var ring: Int32
    /// The destination domain (index), drawn only when there is no ring (a message with a
    /// ring goes to the ring's owner).
    var owner: Int32
    var sizeIndex: Int32
    var stray: Bool
    /// `sender` and `ring` are filled in (a route is looked up only when needed).
    var resolved: Bool
}

/// Draws messages in the order the workload always has (the same seed gives the same
/// messages whatever the pipeline's depth): a stray send one time in
/// ``TrafficConfiguration/strayOneIn``, else a standing route, which may carry a stream;
/// then the payload size; then a random owner if no ring was drawn.
struct TrafficDraws {
    struct State: Hashable {
        var random: SeededRandom
        /// Messages left in the current stream, and its route.
        var streamLeft = 0
        var streamRoute: Int32 = -1
    }

    let domainCount: Int
    let ringCount: Int
    let routeCount: Int
    let sizeCount: Int

    func draw(_ state: inout State) -> PlannedMessage {
        var plan = PlannedMessage(before: state, route: -1, sender: 0, ring: -1, owner: 0, sizeIndex: 0,
                                  stray: false, resolved: false)
        if state.streamLeft > 0 {
            state.streamLeft -= 1
            plan.route = state.streamRoute
        } else if routeCount == 0 || state.random.oneIn(TrafficConfiguration.strayOneIn) {
            plan.stray = true
            plan.sender = Int32(state.random.below(domainCount))
            plan.ring = ringCount == 0 ? -1 : Int32(state.random.below(ringCount))
            plan.resolved = plan.ring >= 0
        } else {
            plan.route = Int32(state.random.below(routeCount))
            state.streamLeft = state.random.below(TrafficConfiguration.longestStream)
            state.streamRoute = plan.route
        }
        plan.sizeIndex = Int32(state.random.below(sizeCount))
        if plan.stray && plan.ring < 0 {
            plan.owner = Int32(state.random.below(domainCount))
            plan.resolved = true
        }
        return plan
    }
}

/// The next ``TrafficPlan/depth`` messages, drawn ahead: a ring of plans, the one being sent
/// first. Draws taken outside the plan invalidate what was drawn after them: the plan is
/// drawn again from the state the outside draw left (``redraw(from:after:)``).
struct TrafficPlan {
    static let depth = 32
    private static let mask = depth - 1

    let draws: TrafficDraws
    private var plans: [PlannedMessage]
    private var generator: TrafficDraws.State
    private var head = 0

    init(draws: TrafficDraws, random: SeededRandom) {
        self.draws = draws
        generator = TrafficDraws.State(random: random)
        plans = []
        plans.reserveCapacity(Self.depth)
        for _ in 0..<Self.depth { plans.append(draws.draw(&generator)) }
    }

    /// The message `distance` sends ahead of the current one (0: the current one).
    @inline(__always)
    subscript(distance: Int) -> PlannedMessage {
        get { plans[(head + distance) & Self.mask] }
        set { plans[(head + distance) & Self.mask] = newValue }
    }

    /// The draws' state after the current message.
    var stateAfterCurrent: TrafficDraws.State { self[1].before }

    /// The current message is done: the next one becomes current, and one more is drawn.
    @inline(__always)
    mutating func advance() {
        plans[head] = draws.draw(&generator)
        head = (head + 1) & Self.mask
    }

    /// Draws every planned message from `after` on again, starting from `state` (0: the
    /// current message, 1: the ones after it).
    mutating func redraw(from state: TrafficDraws.State, after first: Int) {
        generator = state
        for distance in first..<Self.depth { self[distance] = draws.draw(&generator) }
        // With `first` = 1 the slot of the current message is drawn by the next `advance`.
    }
}
