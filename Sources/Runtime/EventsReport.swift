// `events`: one JSON object per line, `{"type":"stats","id":..,"data":{..}}` or
// `{"type":"oom","id":..}`, laid out like runc's (types/events.go). `--stats` prints one stats
// event; otherwise a stats event every interval and an oom event whenever the kernel reports
// one, until the container's init exits or its cgroup goes away. One thread: poll on the
// cgroup's OOM descriptor and init's pidfd, with the next tick as timeout.
#if canImport(Glibc)
import Glibc
#endif
import Cgroups
import CShims
import Linux
import OCISpec

public struct ContainerEvent: Encodable {
    public var type: String
    public var id: String
    public var data: EventStats?

    public init(type: String, id: String, data: EventStats? = nil) {
        self.type = type
        self.id = id
        self.data = data
    }

    /// The line Go's json.Encoder writes: compact, newline-terminated.
    public func line() throws -> String { try encodeJSON(self) + "\n" }
}

/// runc's stats object: the cgroup figures, then Intel RDT (never set up by swiftlet: `{}`)
/// and network interfaces (none without runc's veth networking: `null`).
public struct EventStats: Encodable {
    public var cgroup: CgroupStats

    public init(_ cgroup: CgroupStats) { self.cgroup = cgroup }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ name: String) { stringValue = name }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private struct EmptyObject: Encodable {
        func encode(to encoder: Encoder) throws { _ = encoder.container(keyedBy: Key.self) }
    }

    public func encode(to encoder: Encoder) throws {
        try cgroup.encode(to: encoder)
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(EmptyObject(), forKey: Key("intel_rdt"))
        try c.encodeNil(forKey: Key("network_interfaces"))
    }
}

public struct EventsOptions {
    /// Print one stats event and return.
    public var statsOnly = false
    /// Seconds between stats events.
    public var interval = 5.0
    public init(statsOnly: Bool = false, interval: Double = 5.0) {
        self.statsOnly = statsOnly
        self.interval = interval
    }
}

extension Container {
    public func events(_ options: EventsOptions, output: Int32 = 1) throws {
        guard options.interval > 0 else { throw RuntimeError("duration interval must be greater than 0") }
        if status == .stopped { throw RuntimeError("container with id \(id) is not running") }
        let cgroup = try requireCgroup()
        let emit = { (event: ContainerEvent) throws in
            try FileSystem.writeAll(fd: output, Array(try event.line().utf8), path: "stdout")
        }
        if options.statsOnly {
            let stats = try context("unable to get container cgroup stats") { try cgroup.stats() }
            try emit(ContainerEvent(type: "stats", id: id, data: EventStats(stats)))
            return
        }
        try EventStream(container: self, cgroup: cgroup, interval: options.interval, emit: emit).run()
    }
}

/// The streaming loop of `events`.
struct EventStream {
    let container: Container
    let cgroup: CgroupManager
    let interval: Double
    let emit: (ContainerEvent) throws -> Void

    /// v1 signals an eventfd once per OOM; v2 only says memory.events changed, so the
    /// oom_kill counter tells an OOM kill from the other memory events.
    var countsKills: Bool { cgroup.paths["memory"] == nil }

    func run() throws {
        let oomFD = try cgroup.oomEventFD()
        defer { close(oomFD) }
        let pidfd = sl_pidfd_open(container.record.initPid, 0)
        defer { if pidfd >= 0 { close(pidfd) } }
        // The pidfd must be for the recorded init, not a process that reused its pid.
        guard container.isInitAlive else { return }
        var kills = (try? cgroup.oomKillCount()) ?? 0
        var nextTick = monotonicNow() + interval
        var buffer = [UInt8](repeating: 0, count: 4096)

        while true {
            var fds = [pollfd(fd: oomFD, events: Int16(POLLIN), revents: 0)]
            if pidfd >= 0 { fds.append(pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)) }
            let left = nextTick - monotonicNow()
            // Without a pidfd (old kernels) init is checked at least every 100 ms.
            var timeout = left <= 0 ? 0 : Int32(min(left * 1000, 3_600_000).rounded(.up))
            if pidfd < 0 { timeout = min(timeout, 100) }
            let ready = poll(&fds, nfds_t(fds.count), timeout)
            if ready < 0 {
                if errno == EINTR { continue }
                throw SyscallError("poll", path: "events")
            }
            if fds[0].revents != 0 {
                let n = buffer.withUnsafeMutableBytes { read(oomFD, $0.baseAddress, $0.count) }
                if n < 0 && errno != EINTR && errno != EAGAIN { throw SyscallError("read", path: "OOM event descriptor") }
                // The kernel also signals the eventfd when it removes the cgroup.
                if !cgroup.exists() { return }
                if countsKills {
                    try reportNewKills(&kills)
                } else if n > 0 {
                    try emit(ContainerEvent(type: "oom", id: container.id))
                }
            }
            let initExited = pidfd >= 0 ? (fds.count > 1 && fds[1].revents != 0) : !container.isInitAlive
            if initExited {
                // An OOM kill of init itself may be counted just as it exits.
                if countsKills { try reportNewKills(&kills) } else { try reportPendingEventFD(oomFD) }
                return
            }
            if monotonicNow() >= nextTick {
                let stats: CgroupStats?
                do { stats = try cgroup.stats() } catch {
                    Logger.shared.error("unable to get container cgroup stats: \(error)")
                    stats = nil
                }
                if let stats { try emit(ContainerEvent(type: "stats", id: container.id, data: EventStats(stats))) }
                // Ticks stay on the original grid, as Go's time.Tick does; missed ones are dropped.
                let now = monotonicNow()
                while nextTick <= now { nextTick += interval }
            }
        }
    }

    private func reportNewKills(_ kills: inout UInt64) throws {
        guard let count = try? cgroup.oomKillCount(), count > kills else { return }
        kills = count
        try emit(ContainerEvent(type: "oom", id: container.id))
    }

    /// A v1 OOM notification that arrived together with init's exit.
    private func reportPendingEventFD(_ fd: Int32) throws {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, 0) > 0 else { return }
        var counter: UInt64 = 0
        guard read(fd, &counter, 8) == 8, cgroup.exists() else { return }
        try emit(ContainerEvent(type: "oom", id: container.id))
    }
}
