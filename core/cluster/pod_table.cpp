// SPDX-License-Identifier: Apache-2.0
#include "pod_table.h"

namespace podtap::cluster {

void PodTable::reindex() const
{
    if (m_dirtyFrom < 0) {
        return;
    }
    for (std::size_t row = std::size_t(m_dirtyFrom); row < m_rowToSlot.size(); ++row) {
        m_slotToRow[std::size_t(m_rowToSlot[row])] = int(row);
    }
    m_dirtyFrom = -1;
}

int PodTable::rowOf(const QString &uid) const
{
    const auto it = m_uidToSlot.constFind(uid);
    if (it == m_uidToSlot.constEnd()) {
        return -1;
    }
    reindex();
    return m_slotToRow[std::size_t(*it)];
}

const PodRow *PodTable::find(const QString &uid) const
{
    const auto it = m_uidToSlot.constFind(uid);
    return it == m_uidToSlot.constEnd() ? nullptr : &m_slots[std::size_t(*it)];
}

void PodTable::clear()
{
    m_slots.clear();
    m_freeSlots.clear();
    m_rowToSlot.clear();
    m_slotToRow.clear();
    m_uidToSlot.clear();
    m_search.clear();
    m_dirtyFrom = -1;
}

void PodTable::reserve(int rows)
{
    m_slots.reserve(std::size_t(rows));
    m_rowToSlot.reserve(std::size_t(rows));
    m_slotToRow.reserve(std::size_t(rows));
    m_uidToSlot.reserve(rows);
    m_search.reserve(rows);
}

int PodTable::append(PodRow row)
{
    int slot;
    if (!m_freeSlots.empty()) {
        slot = m_freeSlots.back();
        m_freeSlots.pop_back();
        m_slots[std::size_t(slot)] = std::move(row);
    } else {
        slot = int(m_slots.size());
        m_slots.push_back(std::move(row));
        m_slotToRow.push_back(-1);
    }
    const int newRow = int(m_rowToSlot.size());
    m_rowToSlot.push_back(slot);
    m_slotToRow[std::size_t(slot)] = newRow;
    m_uidToSlot.insert(m_slots[std::size_t(slot)].uid, slot);
    m_search.set(slot, m_slots[std::size_t(slot)]);
    return newRow;
}

void PodTable::replace(int row, PodRow pod)
{
    const int slot = m_rowToSlot[std::size_t(row)];
    PodRow &current = m_slots[std::size_t(slot)];
    if (current.uid != pod.uid) {
        m_uidToSlot.remove(current.uid);
        m_uidToSlot.insert(pod.uid, slot);
    }
    current = std::move(pod);
    m_search.set(slot, current);
}

void PodTable::removeRows(int first, int last)
{
    for (int row = first; row <= last; ++row) {
        const int slot = m_rowToSlot[std::size_t(row)];
        m_uidToSlot.remove(m_slots[std::size_t(slot)].uid);
        m_slots[std::size_t(slot)] = PodRow {}; // release the strings now
        m_slotToRow[std::size_t(slot)] = -1;
        m_freeSlots.push_back(slot);
        m_search.release(slot);
    }
    m_rowToSlot.erase(m_rowToSlot.begin() + first, m_rowToSlot.begin() + last + 1);
    m_dirtyFrom = m_dirtyFrom < 0 ? first : std::min(m_dirtyFrom, first);
    if (m_rowToSlot.empty()) {
        clear();
    }
}

void PodTable::swap(PodTable &other) noexcept
{
    m_slots.swap(other.m_slots);
    m_freeSlots.swap(other.m_freeSlots);
    m_rowToSlot.swap(other.m_rowToSlot);
    m_slotToRow.swap(other.m_slotToRow);
    std::swap(m_dirtyFrom, other.m_dirtyFrom);
    m_uidToSlot.swap(other.m_uidToSlot);
    std::swap(m_search, other.m_search);
}

bool PodTable::matches(const PodFilter &filter, int row) const
{
    const int slot = slotOf(row);
    return filter.matches(m_search.name(slot), m_search.node(slot),
        [&](const QString &key) { return labelValue(m_slots[std::size_t(slot)], key); });
}

} // namespace podtap::cluster
