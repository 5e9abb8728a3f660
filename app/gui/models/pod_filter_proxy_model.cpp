// SPDX-License-Identifier: Apache-2.0
#include "models/pod_filter_proxy_model.h"

#include "cluster/pod_table_model.h"
#include "models/pod_sort_proxy_model.h"

namespace podtap::gui {

using cluster::PodTableModel;

PodFilterProxyModel::PodFilterProxyModel(PodSortProxyModel *sorted, QObject *parent)
    : QSortFilterProxyModel(parent)
    , m_sortLayer(sorted)
    , m_pods(sorted->pods())
{
    setDynamicSortFilter(true);
    const auto drop = [this] { m_podRows.clear(); };
    connect(sorted, &QAbstractItemModel::rowsAboutToBeInserted, this, drop);
    connect(sorted, &QAbstractItemModel::rowsAboutToBeRemoved, this, drop);
    connect(sorted, &QAbstractItemModel::rowsAboutToBeMoved, this, drop);
    connect(sorted, &QAbstractItemModel::layoutAboutToBeChanged, this, drop);
    connect(sorted, &QAbstractItemModel::modelAboutToBeReset, this, drop);
    setSourceModel(sorted);
}

PodFilterProxyModel::~PodFilterProxyModel() = default;

int PodFilterProxyModel::podRow(int sourceRow) const
{
    if (std::size_t(sourceRow) < m_podRows.size())
        return m_podRows[std::size_t(sourceRow)];
    return m_sortLayer->mapToSource(m_sortLayer->index(sourceRow, 0)).row();
}

QModelIndex PodFilterProxyModel::indexOfPod(int podRow) const
{
    if (!m_pods || !m_sortLayer || podRow < 0)
        return {};
    return mapFromSource(m_sortLayer->mapFromSource(m_pods->index(podRow, 0)));
}

void PodFilterProxyModel::sort(int column, Qt::SortOrder order)
{
    if (m_sortLayer)
        m_sortLayer->sort(column, order);
}

void PodFilterProxyModel::setNamespace(const QString &namespaceName)
{
    if (m_namespace == namespaceName)
        return;
    m_namespace = namespaceName;
    m_namespaceId = -1;
    invalidateWholeFilter();
}

void PodFilterProxyModel::setFilterText(const QString &text)
{
    if (m_filterText == text)
        return;
    m_filterText = text;
    cluster::PodFilter filter = cluster::PodFilter::parse(text);
    // Typing a trailing space or a half-made word changes the text but not the filter.
    if (filter == m_filter)
        return;
    const bool changesRows = !m_pods || acceptsDifferently(m_filter, filter);
    m_filter = std::move(filter);
    // The next letter of a word that still matches the same pods ("a", "ap", "app" over 100k
    // pods) costs one pass over the rows and nothing else.
    if (changesRows)
        invalidateWholeFilter();
}

bool PodFilterProxyModel::acceptsDifferently(const cluster::PodFilter &before, const cluster::PodFilter &after) const
{
    const cluster::PodTable &table = m_pods->table();
    const int namespaceId = table.namespaceId(m_namespace);
    if (!m_namespace.isEmpty() && namespaceId < 0)
        return false; // no pod shown either way
    for (int row = 0; row < table.size(); ++row) {
        if (!m_namespace.isEmpty() && !table.inNamespace(row, namespaceId))
            continue;
        if (table.matches(before, row) != table.matches(after, row))
            return true; // usually found within the first rows
    }
    return false;
}

void PodFilterProxyModel::invalidateWholeFilter()
{
    // One layout change (filter again) instead of removing and inserting the rows that changed
    // range by range: over 100k rows a keystroke leaves thousands of scattered ranges, and each
    // one costs the proxy and the view a pass over every row.
    if (m_sortLayer && m_podRows.empty()) {
        const int rows = m_sortLayer->rowCount();
        m_podRows.reserve(std::size_t(rows));
        for (int row = 0; row < rows; ++row)
            m_podRows.push_back(m_sortLayer->mapToSource(m_sortLayer->index(row, 0)).row());
    }
    invalidate();
}

bool PodFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &) const
{
    if (!m_pods || !m_sortLayer)
        return false;
    if (m_filter.isEmpty() && m_namespace.isEmpty())
        return true;
    const cluster::PodTable &table = m_pods->table();
    const int pod = podRow(sourceRow);
    if (!m_namespace.isEmpty()) {
        if (m_namespaceId < 0 || m_namespaceEpoch != table.namespaceEpoch()) {
            m_namespaceId = table.namespaceId(m_namespace); // a hash lookup: not for every row
            m_namespaceEpoch = table.namespaceEpoch();
        }
        if (!table.inNamespace(pod, m_namespaceId))
            return false;
    }
    return table.matches(m_filter, pod);
}

} // namespace podtap::gui
