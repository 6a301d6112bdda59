import EQL

/// The field paths a decoder extracts, as a tree of path segments stored in flat buffers.
///
/// ECS allows both nested objects (`{"process": {"name": ...}}`) and dotted keys (`{"process.name": ...}`), and any
/// mix of the two. Walking one segment at a time through this tree reads every form the same way. Nodes are
/// numbers and the tree lives in buffers allocated once, so walking it costs no reference counting. A trie is
/// built once and never changes, so it is safe to share between threads.
final class FieldTrie: @unchecked Sendable {
    typealias Node = Int

    static let root: Node = 0

    /// Per node: the first edge, the number of edges, and the slot (-1 for none).
    private let firstEdge: UnsafeMutableBufferPointer<Int32>
    private let edgeCount: UnsafeMutableBufferPointer<Int32>
    private let slots: UnsafeMutableBufferPointer<Int32>
    /// Per edge: where its segment starts in `keyBytes`, its length, and the node it leads to.
    private let edgeKeyStart: UnsafeMutableBufferPointer<Int32>
    private let edgeKeyLength: UnsafeMutableBufferPointer<Int32>
    private let edgeChild: UnsafeMutableBufferPointer<Int32>
    private let keyBytes: UnsafeMutableBufferPointer<UInt8>

    /// Builds the tree for every name in `table`.
    init(table: FieldTable) {
        // Build a nested form first, then lay it out breadth first so each node's edges are contiguous.
        final class Builder {
            var segments: [[UInt8]] = []
            var children: [Builder] = []
            var slot: Int32 = -1
        }
        let top = Builder()
        for (slot, name) in table.names.enumerated() {
            var node = top
            for segment in Array(name.utf8).split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                if let index = node.segments.firstIndex(of: Array(segment)) {
                    node = node.children[index]
                } else {
                    let child = Builder()
                    node.segments.append(Array(segment))
                    node.children.append(child)
                    node = child
                }
            }
            node.slot = Int32(slot)
        }
        var order: [Builder] = [top]
        var cursor = 0
        while cursor < order.count {
            order.append(contentsOf: order[cursor].children)
            cursor += 1
        }
        let edges = order.count - 1
        let bytes = order.reduce(0) { $0 + $1.segments.reduce(0) { $0 + $1.count } }
        firstEdge = .allocate(capacity: order.count)
        edgeCount = .allocate(capacity: order.count)
        slots = .allocate(capacity: order.count)
        edgeKeyStart = .allocate(capacity: max(edges, 1))
        edgeKeyLength = .allocate(capacity: max(edges, 1))
        edgeChild = .allocate(capacity: max(edges, 1))
        keyBytes = .allocate(capacity: max(bytes, 1))
        var nextEdge = 0
        var nextByte = 0
        var nextChild = 1
        for (index, node) in order.enumerated() {
            firstEdge[index] = Int32(nextEdge)
            edgeCount[index] = Int32(node.children.count)
            slots[index] = node.slot
            for segment in node.segments {
                edgeKeyStart[nextEdge] = Int32(nextByte)
                edgeKeyLength[nextEdge] = Int32(segment.count)
                edgeChild[nextEdge] = Int32(nextChild)
                for byte in segment {
                    keyBytes[nextByte] = byte
                    nextByte += 1
                }
                nextEdge += 1
                nextChild += 1
            }
        }
    }

    deinit {
        for buffer in [firstEdge, edgeCount, slots, edgeKeyStart, edgeKeyLength, edgeChild] { buffer.deallocate() }
        keyBytes.deallocate()
    }

    @inline(__always)
    func hasChildren(_ node: Node) -> Bool { edgeCount[node] > 0 }

    @inline(__always)
    func slot(_ node: Node) -> Int? {
        let value = slots[node]
        return value < 0 ? nil : Int(value)
    }

    /// Returns the node reached from `node` by the object key in `key`, which may itself contain dots.
    func descend(from node: Node, key: UnsafeRawBufferPointer) -> Node? {
        var current = node
        var start = 0
        var index = 0
        while index <= key.count {
            if index == key.count || key[index] == UInt8(ascii: ".") {
                guard let next = child(of: current, matching: key, from: start, to: index) else { return nil }
                current = next
                start = index + 1
            }
            index += 1
        }
        return current
    }

    @inline(__always)
    private func child(of node: Node, matching key: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Node? {
        let length = end - start
        let first = Int(firstEdge[node])
        for edge in first..<(first + Int(edgeCount[node])) where Int(edgeKeyLength[edge]) == length {
            let keyStart = Int(edgeKeyStart[edge])
            var isEqual = true
            for offset in 0..<length where keyBytes[keyStart + offset] != key[start + offset] {
                isEqual = false
                break
            }
            if isEqual { return Int(edgeChild[edge]) }
        }
        return nil
    }
}
