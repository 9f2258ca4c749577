extension Unmanaged {
    /// Runs `body` on the object without a retain and release around it: for the send path,
    /// whose domains, Argo state and rings are held by the domain table for the whole call
    /// (nothing a send does can destroy a domain or unregister a ring). A retain and release
    /// is an atomic write to the object, and the send path made several per message.
    @inline(__always)
    func borrow<Result>(_ body: (Instance) throws(XenErrno) -> Result) throws(XenErrno) -> Result {
        var failure: XenErrno?
        let result: Result? = _withUnsafeGuaranteedRef { instance in
            do throws(XenErrno) { return try body(instance) } catch { failure = error; return nil }
        }
        if let failure { throw failure }
        return result.unsafelyUnwrapped
    }
}
