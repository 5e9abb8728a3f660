// SPDX-License-Identifier: Apache-2.0
#include "models/pod_sort_proxy_model.h"

#include "cluster/pod_table_model.h"

namespace podtap::gui {

using cluster::PodTableModel;

PodSortProxyModel::PodSortProxyModel(PodTableModel *pods, QObject *parent)
    : QSortFilterProxyModel(parent)
    , m_pods(pods)
{
    setObjectName(QStringLiteral("podSortProxy"));
    setSortRole(PodTableModel::SortRole);
    setDynamicSortFilter(true);
    setSourceModel(pods);
}

PodSortProxyModel::~PodSortProxyModel() = default;

bool PodSortProxyModel::lessThan(const QModelIndex &left, const QModelIndex &right) const
{
    // Straight from the rows: no QVariant per comparison, which is what makes sorting 100k pods slow.
    if (m_pods && sortRole() == PodTableModel::SortRole)
        return m_pods->lessThan(left.row(), right.row(), m_pods->columnAt(left.column()));
    return QSortFilterProxyModel::lessThan(left, right);
}

} // namespace podtap::gui
