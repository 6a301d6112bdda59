import EQL

/// The field paths a decoder extracts, as a tree of path segments.
///
/// ECS allows both nested objects (`{"process": {"name": ...}}`) and dotted keys (`{"process.name": ...}`), and any
/// mix of the two. Walking one segment at a time through this tree reads every form the same way.
final class FieldTrie {
    private(set) var segments: [[UInt8]] = []
    private(set) var children: [FieldTrie] = []
    var slot: Int?

    init() {}

    var hasChildren: Bool { !children.isEmpty }

    /// Builds the tree for every name in `table`.
    convenience init(table: FieldTable) {
        self.init()
        for (slot, name) in table.names.enumerated() {
            insert(path: Array(name.utf8), slot: slot)
        }
    }

    private func insert(path: [UInt8], slot: Int) {
        var node = self
        for segment in path.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            node = node.child(creating: Array(segment))
        }
        node.slot = slot
    }

    private func child(creating segment: [UInt8]) -> FieldTrie {
        if let index = segments.firstIndex(of: segment) {
            return children[index]
        }
        let node = FieldTrie()
        segments.append(segment)
        children.append(node)
        return node
    }

    /// Returns the node reached by the object key in `key`, which may itself contain dots.
    func descend(key: UnsafeRawBufferPointer) -> FieldTrie? {
        var node = self
        var start = 0
        var index = 0
        while index <= key.count {
            if index == key.count || key[index] == UInt8(ascii: ".") {
                guard let next = node.child(matching: key, from: start, to: index) else { return nil }
                node = next
                start = index + 1
            }
            index += 1
        }
        return node
    }

    private func child(matching key: UnsafeRawBufferPointer, from start: Int, to end: Int) -> FieldTrie? {
        let length = end - start
        for (index, segment) in segments.enumerated() where segment.count == length {
            var isEqual = true
            for offset in 0..<length where segment[offset] != key[start + offset] {
                isEqual = false
                break
            }
            if isEqual { return children[index] }
        }
        return nil
    }
}
