// A set of CPU or NUMA node ids in the form sched_setaffinity(2) and set_mempolicy(2) take:
// an array of unsigned longs, id n at bit n % 64 of word n / 64.

public struct BitMask: Equatable, Sendable, CustomStringConvertible {
    public private(set) var words: [UInt64]

    /// Enough words for `ids` (at least one, so the kernel never gets a zero-length mask).
    public init<S: Sequence>(ids: S) where S.Element == Int {
        words = [0]
        for id in ids { insert(id) }
    }

    /// The members of `ranges`, e.g. the parsed `0-3,7`.
    public init(ranges: [ClosedRange<Int>]) {
        words = [0]
        for range in ranges {
            for id in range { insert(id) }
        }
    }

    /// Every id below `count` set.
    public static func all(count: Int) -> BitMask {
        var mask = BitMask(ids: [])
        mask.words = Array(repeating: UInt64.max, count: max(1, (count + 63) / 64))
        let spare = mask.words.count * 64 - count
        if spare > 0 { mask.words[mask.words.count - 1] >>= UInt64(spare) }
        return mask
    }

    /// The words as the kernel wrote them (e.g. sched_getaffinity's buffer).
    public init(words: [UInt64]) {
        self.words = words.isEmpty ? [0] : words
    }

    public mutating func insert(_ id: Int) {
        precondition(id >= 0, "negative id in a BitMask")
        let word = id / 64
        if word >= words.count { words += Array(repeating: 0, count: word + 1 - words.count) }
        words[word] |= 1 << UInt64(id % 64)
    }

    public func contains(_ id: Int) -> Bool {
        id >= 0 && id / 64 < words.count && words[id / 64] & (1 << UInt64(id % 64)) != 0
    }

    public var members: [Int] {
        var ids: [Int] = []
        for (w, word) in words.enumerated() where word != 0 {
            for bit in 0..<64 where word & (1 << UInt64(bit)) != 0 { ids.append(w * 64 + bit) }
        }
        return ids
    }

    public var isEmpty: Bool { words.allSatisfy { $0 == 0 } }

    /// Bits the mask spans: what set_mempolicy(2) counts (it is then passed plus one).
    public var bitCount: Int { words.count * 64 }

    public var byteCount: Int { words.count * 8 }

    /// The cpuset list form, `0-3,7`, for messages.
    public var description: String {
        var parts: [String] = []
        var start: Int?
        var last = -2
        for id in members {
            if id == last + 1 { last = id; continue }
            if let s = start { parts.append(s == last ? "\(s)" : "\(s)-\(last)") }
            start = id
            last = id
        }
        if let s = start { parts.append(s == last ? "\(s)" : "\(s)-\(last)") }
        return joinStrings(parts, separator: ",")
    }
}
