// SPDX-License-Identifier: Apache-2.0
#include "models/pod_filter_proxy_model.h"

#include "cluster/pod_table_model.h"

namespace podtap::gui {

using cluster::PodTableModel;

PodFilterProxyModel::PodFilterProxyModel(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setSortRole(PodTableModel::SortRole);
    setDynamicSortFilter(true);
}

PodFilterProxyModel::~PodFilterProxyModel() = default;

void PodFilterProxyModel::setSourceModel(QAbstractItemModel *model)
{
    m_pods = qobject_cast<PodTableModel *>(model);
    m_sortLayer = qobject_cast<PodFilterProxyModel *>(model);
    m_podRows.clear();
    if (m_sortLayer) {
        m_pods = m_sortLayer->m_pods;
        const auto drop = [this] { m_podRows.clear(); };
        connect(m_sortLayer, &QAbstractItemModel::rowsAboutToBeInserted, this, drop);
        connect(m_sortLayer, &QAbstractItemModel::rowsAboutToBeRemoved, this, drop);
        connect(m_sortLayer, &QAbstractItemModel::rowsAboutToBeMoved, this, drop);
        connect(m_sortLayer, &QAbstractItemModel::layoutAboutToBeChanged, this, drop);
        connect(m_sortLayer, &QAbstractItemModel::modelAboutToBeReset, this, drop);
    }
    QSortFilterProxyModel::setSourceModel(model);
}

int PodFilterProxyModel::podRow(int sourceRow) const
{
    if (!m_sortLayer)
        return sourceRow;
    if (std::size_t(sourceRow) < m_podRows.size())
        return m_podRows[std::size_t(sourceRow)];
    return m_sortLayer->mapToSource(m_sortLayer->index(sourceRow, 0)).row();
}

QModelIndex PodFilterProxyModel::indexOfPod(int podRow) const
{
    if (!m_pods || podRow < 0)
        return {};
    const QModelIndex source = m_pods->index(podRow, 0);
    return mapFromSource(m_sortLayer ? m_sortLayer->mapFromSource(source) : source);
}

void PodFilterProxyModel::sort(int column, Qt::SortOrder order)
{
    if (m_sortLayer) {
        m_sortLayer->sort(column, order);
        return;
    }
    QSortFilterProxyModel::sort(column, order);
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
    // One layout change (filter and sort again) instead of removing and inserting the rows that
    // changed range by range: over 100k rows a keystroke leaves thousands of scattered ranges, and
    // each one costs the proxy and the view a pass over every row.
    if (m_sortLayer && m_podRows.empty()) {
        const int rows = m_sortLayer->rowCount();
        m_podRows.reserve(std::size_t(rows));
        for (int row = 0; row < rows; ++row)
            m_podRows.push_back(m_sortLayer->mapToSource(m_sortLayer->index(row, 0)).row());
    }
    invalidate();
}

bool PodFilterProxyModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    // Straight from the rows: no QVariant per comparison, which is what makes sorting 100k pods slow.
    if (m_pods && !m_sortLayer && sortRole() == PodTableModel::SortRole)
        return m_pods->lessThan(left.row(), right.row(), m_pods->columnAt(left.column()));
    return QSortFilterProxyModel::lessThan(left, right);
}

bool PodFilterProxyModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (m_pods) {
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

    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_namespace.isEmpty() && index.data(PodTableModel::NamespaceRole).toString() != m_namespace)
        return false;
    const QVariantMap labels = m_filter.needsLabels() ? index.data(PodTableModel::LabelsRole).toMap() : QVariantMap();
    return m_filter.matches(index.data(PodTableModel::NameRole).toString(),
        index.data(PodTableModel::NodeRole).toString(), [&labels](const QString &key) -> std::optional<QString> {
            const auto it = labels.constFind(key);
            if (it == labels.cend())
                return std::nullopt;
            return it->toString();
        });
}

} // namespace podtap::gui
