// SPDX-License-Identifier: Apache-2.0
#include "cluster/pod_search_index.h"

#include <atomic>

namespace podtap::cluster {

namespace {

// Compaction copies the live text; below this much garbage it is not worth a pass.
constexpr qsizetype kMinGarbageToCompact = 1 << 20;

} // namespace

std::optional<QString> labelValue(const PodRow &row, const QString &key)
{
    for (const auto &[labelKey, value] : row.labels) {
        if (labelKey == key)
            return value;
    }
    return std::nullopt;
}

std::uint64_t PodSearchIndex::nextEpoch()
{
    static std::atomic<std::uint64_t> counter {0};
    return ++counter;
}

void PodSearchIndex::clear()
{
    m_epoch = nextEpoch();
    m_text.clear();
    m_garbage = 0;
    m_slots.clear();
    m_namespaceIds.clear();
}

void PodSearchIndex::reserve(int slots)
{
    m_slots.reserve(std::size_t(slots));
    m_text.reserve(qsizetype(slots) * 40);
}

void PodSearchIndex::store(Span &span, const QString &value)
{
    if (text(span) == value)
        return; // the usual update: a pod's labels or status changed, not its name or node
    m_garbage += span.length;
    span.offset = std::uint32_t(m_text.size());
    span.length = std::uint32_t(value.size());
    m_text.append(value);
}

void PodSearchIndex::set(int slot, const PodRow &row)
{
    if (std::size_t(slot) >= m_slots.size())
        m_slots.resize(std::size_t(slot) + 1);
    Slot &entry = m_slots[std::size_t(slot)];
    store(entry.name, row.name);
    store(entry.node, row.nodeName);
    auto id = m_namespaceIds.constFind(row.namespaceName);
    if (id == m_namespaceIds.cend())
        id = m_namespaceIds.insert(row.namespaceName, int(m_namespaceIds.size()));
    entry.namespaceId = *id;
    if (m_garbage > kMinGarbageToCompact && m_garbage > m_text.size() / 2)
        compact();
}

void PodSearchIndex::release(int slot)
{
    Slot &entry = m_slots[std::size_t(slot)];
    m_garbage += entry.name.length + entry.node.length;
    entry = Slot {};
}

void PodSearchIndex::compact()
{
    QString packed;
    packed.reserve(m_text.size() - m_garbage);
    for (Slot &entry : m_slots) {
        for (Span *span : {&entry.name, &entry.node}) {
            const QStringView value = text(*span);
            span->offset = std::uint32_t(packed.size());
            packed.append(value);
        }
    }
    m_text.swap(packed);
    m_garbage = 0;
}

} // namespace podtap::cluster
