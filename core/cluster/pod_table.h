// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_row.h"

#include <QHash>

#include <vector>

namespace podtap::cluster {

/// @brief Pod rows in display order, with an O(1) uid→row lookup and cheap removal.
///
/// Rows live in stable slots; the display order is a vector of slot numbers, so removing a row
/// moves 4-byte integers, not rows. The slot→row index is repaired lazily, once per batch.
class PodTable final
{
public:
    int size() const { return int(m_rowToSlot.size()); }
    bool isEmpty() const { return m_rowToSlot.empty(); }
    const PodRow &at(int row) const { return m_slots[std::size_t(m_rowToSlot[std::size_t(row)])]; }
    /// The row showing the pod with @p uid, or -1.
    int rowOf(const QString &uid) const;
    const PodRow *find(const QString &uid) const;

    void clear();
    void reserve(int rows);
    /// Appends and returns the new row; a pod with the same uid must not be present.
    int append(PodRow row);
    void replace(int row, PodRow pod);
    /// Removes rows first..last (inclusive). Other row numbers below @p first do not change.
    void removeRows(int first, int last);
    void swap(PodTable &other) noexcept;

private:
    void reindex() const;

    std::vector<PodRow> m_slots;
    std::vector<int> m_freeSlots;
    std::vector<int> m_rowToSlot;
    mutable std::vector<int> m_slotToRow;
    mutable int m_dirtyFrom = -1; ///< rows from here on have stale m_slotToRow entries
    QHash<QString, int> m_uidToSlot;
};

} // namespace podtap::cluster
