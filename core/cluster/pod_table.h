// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_filter.h"
#include "pod_row.h"
#include "pod_search_index.h"

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

    /// Whether row @p row passes @p filter; names and nodes are read from the packed search index.
    bool matches(const PodFilter &filter, int row) const;
    /// The pod's name and node as the filter searches them (the same text as at(row)).
    QStringView searchName(int row) const { return m_search.name(slotOf(row)); }
    QStringView searchNode(int row) const { return m_search.node(slotOf(row)); }
    /// A number for @p namespaceName that inNamespace() compares cheaply; -1 when no pod is in it.
    int namespaceId(const QString &namespaceName) const { return m_search.namespaceId(namespaceName); }
    /// See PodSearchIndex::epoch(): while it stays the same, an id from namespaceId() keeps its meaning.
    std::uint64_t namespaceEpoch() const { return m_search.epoch(); }
    bool inNamespace(int row, int namespaceId) const { return m_search.namespaceIdOf(slotOf(row)) == namespaceId; }

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
    int slotOf(int row) const { return m_rowToSlot[std::size_t(row)]; }

    std::vector<PodRow> m_slots;
    std::vector<int> m_freeSlots;
    std::vector<int> m_rowToSlot;
    mutable std::vector<int> m_slotToRow;
    mutable int m_dirtyFrom = -1; ///< rows from here on have stale m_slotToRow entries
    QHash<QString, int> m_uidToSlot;
    PodSearchIndex m_search;
};

} // namespace podtap::cluster
