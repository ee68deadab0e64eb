// What `state` and `list` print, with runc's fields and layout (engines parse both).
#if canImport(Glibc)
import Glibc
#endif
import Linux
import OCISpec

/// runc's `state` object: the OCI state plus rootfs, created and owner.
struct RuncState: JSONWritable {
    var ociVersion: String
    var id: String
    var pid: Int
    var status: String
    var bundle: String
    var rootfs: String
    var created: String
    var annotations: [String: String]?
    var owner: String

    var json: JSONValue {
        var o = JSONObjectBuilder()
        o.add("ociVersion", ociVersion)
        o.add("id", id)
        o.add("pid", pid)
        o.add("status", status)
        o.add("bundle", bundle)
        o.add("rootfs", rootfs)
        o.add("created", created)
        o.add("annotations", annotations)
        o.add("owner", owner)
        return o.value
    }
}

public enum StateReport {
    static func runcState(_ c: Container) -> RuncState {
        let state = c.ociState()
        return RuncState(ociVersion: state.ociVersion, id: state.id, pid: state.pid ?? 0,
                         status: state.status.rawValue, bundle: state.bundle,
                         rootfs: c.record.rootfs ?? c.record.bundle + "/rootfs", created: c.record.created,
                         annotations: state.annotations, owner: owner(of: c))
    }

    public static func json(for c: Container) throws -> String {
        JSONWriter.string(runcState(c).json, indent: "  ")
    }

    public static func jsonList(_ containers: [Container]) throws -> String {
        JSONWriter.string(.array(containers.map { runcState($0).json }))
    }

    /// runc's tabwriter layout: columns padded to the widest cell plus three spaces, at least 12.
    public static func table(_ containers: [Container]) -> String {
        var rows = [["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"]]
        for c in containers {
            let s = runcState(c)
            rows.append([s.id, String(s.pid), s.status, s.bundle, s.created, s.owner])
        }
        var widths = [Int](repeating: 0, count: 6)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        var out = ""
        for row in rows {
            for (i, cell) in row.enumerated() {
                if i == row.count - 1 { out += cell } else {
                    out += cell + String(repeating: " ", count: max(12, widths[i] + 3) - cell.count)
                }
            }
            out += "\n"
        }
        return out
    }

    static func owner(of c: Container) -> String {
        var st = stat()
        guard stat(c.store.directory(for: c.id), &st) == 0 else { return "" }
        if let name = ownerNames[st.st_uid] { return name }
        var name = String(st.st_uid)
        if let pw = getpwuid(st.st_uid), let text = pw.pointee.pw_name { name = String(cString: text) }
        ownerNames[st.st_uid] = name
        return name
    }

    /// uid → user name, looked up once per uid: each getpwuid rereads nsswitch.conf and
    /// /etc/passwd, and `list` asks for every container.
    nonisolated(unsafe) static var ownerNames: [uid_t: String] = [:]
}
