// The v1 freezer. Writing FROZEN starts freezing; the state reads FREEZING until every task
// stopped, and a v1 cgroup that keeps gaining tasks can stay there, so retry as runc does
// (with an occasional thaw and pause) and thaw back if it never settles.
#if canImport(Glibc)
import Glibc
#endif
import Linux

enum V1Freezer {
    static func freeze(_ dir: String) throws {
        do {
            for attempt in 0..<1000 {
                if attempt % 50 == 49 {
                    try? CgroupFiles.write(dir, "freezer.state", "THAWED")
                    usleep(10_000)
                }
                try CgroupFiles.write(dir, "freezer.state", "FROZEN")
                if attempt % 25 == 24 { usleep(10) }
                let state = try CgroupFiles.readTrimmed(dir, "freezer.state")
                switch state {
                case "FROZEN": return
                case "FREEZING": continue
                default: throw CgroupError("unexpected freezer state \(state) while freezing \(dir)")
                }
            }
            throw CgroupError("unable to freeze \(dir): it stayed FREEZING")
        } catch {
            // A half-frozen container is worse than a running one.
            try? CgroupFiles.write(dir, "freezer.state", "THAWED")
            throw wrap("freeze cgroup", error)
        }
    }

    static func state(_ dir: String) throws -> FreezerState {
        while true {
            let state: String
            do {
                state = try CgroupFiles.readTrimmed(dir, "freezer.state")
            } catch let error as SyscallError where error.errno == ENOENT || error.errno == ENODEV {
                return .undefined
            } catch {
                throw wrap("read freezer state", error)
            }
            switch state {
            case "THAWED":
                return .thawed
            case "FROZEN":
                // Frozen through an ancestor is not "paused" for this container.
                guard let own = try? CgroupFiles.readTrimmed(dir, "freezer.self_freezing") else { return .frozen }
                return own == "1" ? .frozen : .thawed
            case "FREEZING":
                usleep(1000)
            default:
                throw CgroupError("unknown freezer.state \"\(state)\" in \(dir)")
            }
        }
    }
}
