import Glibc

/// Every connection is a descriptor: raise RLIMIT_NOFILE to what `needed` requires
/// (the hard limit too, when allowed), and say what we got.
enum FileLimit {
    @discardableResult
    static func raise(toAtLeast needed: Int) -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let want = rlim_t(needed)
        if limit.rlim_max < want {
            var raised = limit
            raised.rlim_max = want
            raised.rlim_cur = want
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(want) }
        }
        if limit.rlim_cur < limit.rlim_max {
            limit.rlim_cur = limit.rlim_max
            _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
        return Int(limit.rlim_cur)
    }
}
