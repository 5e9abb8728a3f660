// SPDX-License-Identifier: Apache-2.0
#pragma once

#include "pod_row.h"

#include <QHash>
#include <QString>

#include <cstdint>
#include <optional>
#include <vector>

namespace podtap::cluster {

/// @brief The text a pod filter searches (name, node name, namespace) of each pod, packed into one
/// buffer and kept by PodTable slot.
///
/// Filtering 100k pods reads each pod's name and node; read from the rows, each one is a cache miss
/// into its own allocation, and a keystroke spends its time waiting for memory. Packed, a filter pass
/// streams through a few megabytes. Replaced and removed text is left in place and compacted away
/// once it is half the buffer. Labels are not packed: a filter reads them from the rows.
class PodSearchIndex final
{
public:
    void clear();
    void reserve(int slots);
    /// Records @p row's text for @p slot (replacing what the slot had).
    void set(int slot, const PodRow &row);
    /// The slot's pod is gone.
    void release(int slot);

    QStringView name(int slot) const { return text(m_slots[std::size_t(slot)].name); }
    QStringView node(int slot) const { return text(m_slots[std::size_t(slot)].node); }
    int namespaceIdOf(int slot) const { return m_slots[std::size_t(slot)].namespaceId; }
    /// The id namespaceIdOf() gives pods of @p namespaceName; -1 when no pod was ever in it.
    int namespaceId(const QString &namespaceName) const { return m_namespaceIds.value(namespaceName, -1); }
    /// Changes whenever namespace ids may have changed meaning (the index was cleared), and differs
    /// between indexes, so a caller can keep an id from namespaceId() while epoch() stays the same.
    std::uint64_t epoch() const { return m_epoch; }
    /// Characters in the packed buffer, replaced text included (bounded by compaction).
    qsizetype textSize() const { return m_text.size(); }

private:
    struct Span
    {
        std::uint32_t offset = 0;
        std::uint32_t length = 0;
    };
    struct Slot
    {
        Span name;
        Span node;
        int namespaceId = -1;
    };
    QStringView text(Span span) const { return QStringView(m_text).sliced(span.offset, span.length); }
    /// Keeps @p span when it already holds @p value, else appends @p value.
    void store(Span &span, const QString &value);
    void compact();

    QString m_text;
    qsizetype m_garbage = 0; ///< characters of m_text no slot refers to
    std::vector<Slot> m_slots;
    QHash<QString, int> m_namespaceIds;
    std::uint64_t m_epoch = nextEpoch();

    static std::uint64_t nextEpoch();
};

/// The value of label @p key on @p row, for PodFilter::matches.
std::optional<QString> labelValue(const PodRow &row, const QString &key);

} // namespace podtap::cluster
