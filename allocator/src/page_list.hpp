// Doubly linked lists of pools threaded through the metadata array by page index (PoolMeta::prev,
// PoolMeta::next): the buddy free lists, the purge queue and the occupancy buckets of a class. A
// pool is on at most one list at a time, so one pair of links serves them all.
#pragma once

#include "arena_types.hpp"
#include "checks.hpp"

namespace shrinkpy::alloc {

struct PageList {
    uint32_t head = kNoPage;
    uint32_t tail = kNoPage;

    bool empty() const { return head == kNoPage; }

    void push_front(PoolMeta* meta, uint32_t page) {
        PoolMeta& m = meta[page];
        m.prev = kNoPage;
        m.next = head;
        if (head != kNoPage) meta[head].prev = page;
        head = page;
        if (tail == kNoPage) tail = page;
    }

    void push_back(PoolMeta* meta, uint32_t page) {
        PoolMeta& m = meta[page];
        m.next = kNoPage;
        m.prev = tail;
        if (tail != kNoPage) meta[tail].next = page;
        tail = page;
        if (head == kNoPage) head = page;
    }

    void remove(PoolMeta* meta, uint32_t page) {
        PoolMeta& m = meta[page];
        // On this list: an end of it has no neighbour that way, and its neighbours point back.
        SHRINKPY_ALLOC_ASSERT_INTERNAL(m.prev == kNoPage ? head == page : meta[m.prev].next == page);
        SHRINKPY_ALLOC_ASSERT_INTERNAL(m.next == kNoPage ? tail == page : meta[m.next].prev == page);
        if (m.prev != kNoPage)
            meta[m.prev].next = m.next;
        else
            head = m.next;
        if (m.next != kNoPage)
            meta[m.next].prev = m.prev;
        else
            tail = m.prev;
        m.prev = kNoPage;
        m.next = kNoPage;
    }

    // remove() of the head, which has no prev link to read (refill pops a pool from a bucket on
    // most of its calls when blocks are freed at random).
    uint32_t pop_front(PoolMeta* meta) {
        uint32_t page = head;
        if (page == kNoPage) return kNoPage;
        PoolMeta& m = meta[page];
        SHRINKPY_ALLOC_ASSERT_INTERNAL(m.prev == kNoPage);
        head = m.next;
        if (head != kNoPage)
            meta[head].prev = kNoPage;
        else
            tail = kNoPage;
        m.next = kNoPage;
        return page;
    }

    uint32_t pop_back(PoolMeta* meta) {
        uint32_t page = tail;
        if (page != kNoPage) remove(meta, page);
        return page;
    }

    // Among the first `scan` pools, the most recent of `order`, preferring one of `size_class`
    // (its free list is still good); kNoPage when none. Used on lists of empty pools.
    uint32_t find_reusable(const PoolMeta* meta, int size_class, unsigned order, unsigned scan) const {
        uint32_t found = kNoPage;
        uint32_t page = head;
        for (unsigned seen = 0; page != kNoPage && seen < scan; ++seen, page = meta[page].next) {
            if (meta[page].order != order) continue;
            if (meta[page].size_class == size_class) return page;
            if (found == kNoPage) found = page;
        }
        return found;
    }
};

}  // namespace shrinkpy::alloc
